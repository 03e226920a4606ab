## Reference values for tests/test_multilevel_bootstrap.py (issue 12): a random-intercept logit
## fit whose variance estimate is at the boundary (theta = 0), as in the bootstrap refits of the
## chapter-4 family models. 26 groups of 25, no group effect in the truth; seed chosen so that
## glmer's fit is singular. Writes glmm_boundary.csv (the data) and glmm_boundary.json: glmer's
## (Laplace) theta, fixed effects and deviance, and glm's deviance of the same fixed effects (at
## theta = 0 the GLMM deviance is the GLM deviance).
## Run from the repository root:  Rscript tests/reference/glmm_boundary.R
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
cat(R.version.string, "\n")
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))

set.seed(20261204)
G <- 26; m <- 25
g <- rep(seq_len(G), each = m)
z <- rnorm(G)[g]                         # an institution-level covariate
x <- rnorm(G * m)
y <- rbinom(G * m, 1, plogis(-0.4 + 0.5 * x))
d <- data.frame(y = y, x = round(x, 6), z = round(z, 6), g = sprintf("PI%02d", g))
write.csv(d, file.path(here, "glmm_boundary.csv"), row.names = FALSE)
d <- read.csv(file.path(here, "glmm_boundary.csv"))

ctl <- glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5),
                    check.conv.singular = "ignore")
fit <- glmer(y ~ x + z + (1 | g), data = d, family = binomial, control = ctl)
lin <- glm(y ~ x + z, data = d, family = binomial, control = glm.control(epsilon = 1e-14))
stopifnot(isSingular(fit))
out <- list(
  R = R.version.string,
  lme4 = as.character(packageVersion("lme4")),
  call = "glmer(y ~ x + z + (1 | g), family = binomial, optimizer = 'bobyqa'); glm(y ~ x + z)",
  nobs = nrow(d),
  theta = unname(getME(fit, "theta")),
  glmer_fixef = as.list(fixef(fit)),
  glmer_deviance = unname(-2 * as.numeric(logLik(fit))),
  glm_coef = as.list(coef(lin)),
  glm_deviance = unname(deviance(lin))
)
str(out)
write_json(out, file.path(here, "glmm_boundary.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
