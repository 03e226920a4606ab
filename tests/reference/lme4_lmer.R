# Reference for the random-intercept linear mixed model: lme4::lmer, REML and ML.
# Reads mv_small.csv, writes lme4_lmer.json.   Run: Rscript tests/reference/lme4_lmer.R
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
set.seed(1)
here <- if (length(a <- grep("^--file=", commandArgs(FALSE), value = TRUE)))
  dirname(sub("^--file=", "", a)) else "tests/reference"
cat(R.version.string, "\n"); cat("lme4", as.character(packageVersion("lme4")), "\n")
d <- read.csv(file.path(here, "mv_small.csv"))
one <- function(reml) {
  m <- lmer(y ~ x * need + z + (1 | g), data = d, REML = reml)
  vc <- as.data.frame(VarCorr(m))
  list(terms = names(fixef(m)), params = unname(fixef(m)),
       se = unname(sqrt(diag(as.matrix(vcov(m))))),
       group_var = vc$vcov[vc$grp == "g"], resid_var = vc$vcov[vc$grp == "Residual"],
       logLik = as.numeric(logLik(m)), nobs = nobs(m))
}
out <- list(R_version = R.version.string, lme4_version = as.character(packageVersion("lme4")),
            formula = "y ~ x * need + z + (1 | g)", reml = one(TRUE), ml = one(FALSE))
write_json(out, file.path(here, "lme4_lmer.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
