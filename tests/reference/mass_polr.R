# Reference for the ordinal logit: MASS::polr (proportional odds, logit link).
# polr's model is logit P(Y <= k) = zeta_k - x'beta, the same sign convention as statsmodels'
# OrderedModel. Reads mv_small.csv, writes mass_polr.json.  Run: Rscript tests/reference/mass_polr.R
suppressPackageStartupMessages({library(MASS); library(jsonlite)})
set.seed(1)
here <- if (length(a <- grep("^--file=", commandArgs(FALSE), value = TRUE)))
  dirname(sub("^--file=", "", a)) else "tests/reference"
cat(R.version.string, "\n"); cat("MASS", as.character(packageVersion("MASS")), "\n")
d <- read.csv(file.path(here, "mv_small.csv"))
d$y_ord <- factor(d$y_ord, ordered = TRUE)
fit <- polr(y_ord ~ x + need + z, data = d, method = "logistic", Hess = TRUE)
V <- vcov(fit)
out <- list(R_version = R.version.string, MASS_version = as.character(packageVersion("MASS")),
            terms = names(coef(fit)), params = unname(coef(fit)),
            zeta_names = names(fit$zeta), zeta = unname(fit$zeta),
            se = unname(sqrt(diag(V))), se_names = rownames(V),
            logLik = as.numeric(logLik(fit)), nobs = nrow(d))
write_json(out, file.path(here, "mass_polr.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
