# Reference for the cluster-robust (CR1) OLS covariance: sandwich::vcovCL(type = "HC1").
# Reads mv_small.csv (written by make_mv_small.py), writes sandwich_vcovcl.json.
# Run: Rscript tests/reference/sandwich_vcovcl.R   (from the repository root)
suppressPackageStartupMessages({library(sandwich); library(jsonlite)})
set.seed(1)  # nothing random below; kept by convention
here <- if (length(a <- grep("^--file=", commandArgs(FALSE), value = TRUE)))
  dirname(sub("^--file=", "", a)) else "tests/reference"
cat(R.version.string, "\n"); cat("sandwich", as.character(packageVersion("sandwich")), "\n")
d <- read.csv(file.path(here, "mv_small.csv"))
fit <- lm(y ~ x * need + z, data = d)
V <- vcovCL(fit, cluster = ~g, type = "HC1")
out <- list(
  R_version = R.version.string,
  sandwich_version = as.character(packageVersion("sandwich")),
  formula = "y ~ x * need + z", cluster = "g", type = "HC1",
  terms = names(coef(fit)),
  params = unname(coef(fit)),
  se = unname(sqrt(diag(V))),
  vcov = unname(V),
  logLik = as.numeric(logLik(fit)),
  nobs = nobs(fit)
)
write_json(out, file.path(here, "sandwich_vcovcl.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
