## Reference values for tests/test_multilevel_profile.py (issue 12, point 2): profile-likelihood
## intervals of the random-intercept SD, lme4's confint(fit, parm = "theta_", method =
## "profile", oldNames = FALSE), at levels 0.95 and 0.90, for
##   (1) lme4's cbpp expanded to one 0/1 row per animal (Laplace and nAGQ = 10),
##   (2) the synthetic two-level set glmm_synth_4100.csv (from glmm_cbpp.R; Laplace),
##   (3) a synthetic set with a small institution SD (glmm_profile_small.csv, written here),
##       whose profile does not reach the cut-off above 0: the lower bound is 0.
## Run from the repository root:  Rscript tests/reference/glmm_profile.R
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
cat(R.version.string, "\n")
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))

cb <- read.csv(file.path(here, "cbpp.csv"))
rows <- lapply(seq_len(nrow(cb)), function(i) {
  data.frame(herd = cb$herd[i], period = cb$period[i],
             y = c(rep(1, cb$incidence[i]), rep(0, cb$size[i] - cb$incidence[i])))
})
cbpp01 <- do.call(rbind, rows)
cbpp01$period <- factor(cbpp01$period)
synth <- read.csv(file.path(here, "glmm_synth_4100.csv"))

set.seed(20261203)
G <- 26; n <- 1300
g <- rep(seq_len(G), length.out = n)
x <- rnorm(n)
eta <- -0.2 + 0.4 * x + rnorm(G, 0, 0.12)[g]
small <- data.frame(y = rbinom(n, 1, plogis(eta)), x = round(x, 6), g = sprintf("PI%02d", g))
write.csv(small, file.path(here, "glmm_profile_small.csv"), row.names = FALSE)
small <- read.csv(file.path(here, "glmm_profile_small.csv"))

one <- function(formula, data, nagq) {
  m <- glmer(formula, data = data, family = binomial, nAGQ = nagq)
  t <- system.time(pr <- profile(m, which = "theta_", signames = FALSE))[["elapsed"]]
  ci95 <- confint(pr, level = 0.95)
  ci90 <- confint(pr, level = 0.90)
  list(nagq = nagq, theta = unname(getME(m, "theta")), logLik = as.numeric(logLik(m)),
       ci95 = unname(ci95[1, ]), ci90 = unname(ci90[1, ]), parm = rownames(ci95)[1],
       time_s = t)
}
out <- list(
  R = R.version.string, lme4 = as.character(packageVersion("lme4")),
  cbpp_laplace = one(y ~ period + (1 | herd), cbpp01, 1),
  cbpp_agq10 = one(y ~ period + (1 | herd), cbpp01, 10),
  synth_laplace = one(y ~ x1 + x2 + x3 + (1 | g), synth, 1),
  small_laplace = one(y ~ x + (1 | g), small, 1)
)
write_json(out, file.path(here, "glmm_profile.json"), auto_unbox = TRUE, digits = NA,
           pretty = TRUE)
