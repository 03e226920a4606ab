## Reference values for tests/test_multilevel_parity.py (issue 6).
## Fits lme4::glmer on (1) lme4's cbpp expanded to one 0/1 row per animal and (2) a synthetic
## two-level data set (4,100 rows, 26 groups, 3 covariates, seed below) written to
## glmm_synth_4100.csv, each with the Laplace approximation (nAGQ = 1) and nAGQ = 10.
## For each fit it also evaluates lme4's own deviance function (devFunOnly = TRUE) at lme4's
## optimum, and records the exact Laplace deviance there (sum(log H) at the final mu; lme4's
## reported Laplace value takes log|L| from the Cholesky factor of the last PIRLS iteration).
## Run from the repository root:  Rscript tests/reference/glmm_cbpp.R
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
cat(R.version.string, "\n")
cat("lme4", as.character(packageVersion("lme4")), " Matrix", as.character(packageVersion("Matrix")),
    " jsonlite", as.character(packageVersion("jsonlite")), "\n")
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))

## (1) cbpp, expanded: herd h, period p, 'incidence' successes out of 'size'
cb <- lme4::cbpp
write.csv(cb, file.path(here, "cbpp.csv"), row.names = FALSE)  # the grouped original
rows <- lapply(seq_len(nrow(cb)), function(i) {
  data.frame(herd = cb$herd[i], period = cb$period[i],
             y = c(rep(1, cb$incidence[i]), rep(0, cb$size[i] - cb$incidence[i])))
})
cbpp01 <- do.call(rbind, rows)

## (2) synthetic: 26 groups of unequal size, 3 covariates, sd(intercept) = 0.6
set.seed(20260601)
G <- 26; n <- 4100
g <- sample(G, n, replace = TRUE, prob = runif(G, 0.5, 1.5))
x1 <- rnorm(n); x2 <- rbinom(n, 1, 0.4); x3 <- runif(n, -1, 1)
b <- rnorm(G, 0, 0.6)
eta <- -0.4 + 0.5 * x1 - 0.7 * x2 + 0.3 * x3 + b[g]
synth <- data.frame(y = rbinom(n, 1, plogis(eta)), x1 = round(x1, 6), x2 = x2, x3 = round(x3, 6),
                    g = sprintf("PI%02d", g))
write.csv(synth, file.path(here, "glmm_synth_4100.csv"), row.names = FALSE)
synth <- read.csv(file.path(here, "glmm_synth_4100.csv"))

fit_one <- function(formula, data, nagq) {
  t <- system.time(m <- glmer(formula, data = data, family = binomial, nAGQ = nagq))[["elapsed"]]
  dd <- update(m, devFunOnly = TRUE)
  p <- c(getME(m, "theta"), fixef(m))
  dev_at_opt <- dd(p)
  e <- environment(dd)
  exact <- NA
  if (nagq == 1) {  # exact Laplace at lme4's optimum (log H from the final mu)
    grp <- getME(m, "flist")[[1]]
    mu <- e$resp$mu
    H <- 1 + p[1]^2 * tapply(mu * (1 - mu), grp, sum)
    exact <- sum(log(H)) + sum(e$pp$u(1)^2) + e$resp$aic()
  }
  list(nagq = nagq, params = as.list(fixef(m)), se = as.list(sqrt(diag(as.matrix(vcov(m))))),
       theta = unname(getME(m, "theta")), logLik = as.numeric(logLik(m)), AIC = AIC(m),
       BIC = BIC(m), nobs = nobs(m), devfun_at_opt = dev_at_opt, exact_laplace_at_opt = exact,
       ranef = unname(ranef(m)[[1]][, 1]), ranef_levels = rownames(ranef(m)[[1]]),
       time_s = t)
}
out <- list(
  R = R.version.string, lme4 = as.character(packageVersion("lme4")),
  cbpp = list(laplace = fit_one(y ~ period + (1 | herd), cbpp01, 1),
              agq10 = fit_one(y ~ period + (1 | herd), cbpp01, 10)),
  synth = list(laplace = fit_one(y ~ x1 + x2 + x3 + (1 | g), synth, 1),
               agq10 = fit_one(y ~ x1 + x2 + x3 + (1 | g), synth, 10))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "glmm_cbpp.json"))
cat("written", file.path(here, "glmm_cbpp.json"), "\n")
