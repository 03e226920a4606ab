## Reference values for test_wald_t_given_theta_matches_lme4 (tests/test_multilevel_bootstrap.py).
## lme4's cbpp expanded to one 0/1 row per animal (as in glmm_cbpp.R), glmer Laplace (nAGQ = 1),
## y ~ period + (1 | herd). Records glmer's (theta, beta) and the fixed-effect SEs of
## vcov(fit, use.hessian = FALSE) (the inverse of the penalised-IRLS information of (beta, u)
## given theta, beta block), also recomputed from the model matrices at lme4's conditional modes,
## and vcov(fit, use.hessian = TRUE) for contrast.
## lme4 takes RX from the Cholesky factor of the last PIRLS iteration, i.e. at the weights before
## the final update of mu: with the default tolPwrss (1e-7) that differs from the Schur complement
## at the final conditional modes by ~1e-5 relative here. So the SEs are also recorded from RX
## after re-running PIRLS at glmer's (theta, beta) with tolPwrss = 1e-12 (se_tight), which
## equals the by-hand value.
## Run from the repository root:  Rscript tests/reference/glmm_vcov_given_theta.R
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
cat(R.version.string, "\n")
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))

cb <- read.csv(file.path(here, "cbpp.csv"), colClasses = c(herd = "factor", period = "factor"))
rows <- lapply(seq_len(nrow(cb)), function(i) {
  data.frame(herd = cb$herd[i], period = cb$period[i],
             y = c(rep(1, cb$incidence[i]), rep(0, cb$size[i] - cb$incidence[i])))
})
cbpp01 <- do.call(rbind, rows)
ctrl <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 2e-3, rhoend = 1e-10))
m <- glmer(y ~ period + (1 | herd), data = cbpp01, family = binomial, nAGQ = 1, control = ctrl)

se_pirls <- sqrt(diag(as.matrix(vcov(m, use.hessian = FALSE))))
se_hess <- sqrt(diag(as.matrix(vcov(m, use.hessian = TRUE))))

## the same thing by hand: X'WX - X'WZ (Z'WZ + I)^-1 Z'WX at lme4's conditional modes
X <- getME(m, "X"); Zt <- getME(m, "Lambdat") %*% getME(m, "Zt")
mu <- fitted(m); w <- mu * (1 - mu)
XtWX <- crossprod(X, w * X); ZtWX <- as.matrix(Zt %*% (w * X))
ZtWZ <- as.matrix(Zt %*% (w * t(Zt))) + diag(nrow(Zt))
S <- XtWX - crossprod(ZtWX, solve(ZtWZ, ZtWX))
se_hand <- sqrt(diag(solve(S)))

dd <- update(m, devFunOnly = TRUE, control = glmerControl(tolPwrss = 1e-12))
dd(c(getME(m, "theta"), fixef(m)))
se_tight <- sqrt(diag(chol2inv(environment(dd)$pp$RX())))

out <- list(
  R = R.version.string, lme4 = as.character(packageVersion("lme4")),
  formula = "y ~ period + (1 | herd)", nAGQ = 1,
  theta = unname(getME(m, "theta")), beta = unname(fixef(m)), names = names(fixef(m)),
  se_use_hessian_false = unname(se_pirls), se_tight = unname(se_tight),
  se_by_hand = unname(se_hand),
  se_use_hessian_true = unname(se_hess)
)
print(out)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "glmm_vcov_given_theta.json"))
cat("written", file.path(here, "glmm_vcov_given_theta.json"), "\n")
