# Reference for the cumulative-link fit: ordinal::clm (Newton with the exact Hessian, so its
# standard errors are exact to the optimum, unlike polr's numerical Hessian in mass_polr.R).
# clm's model is logit P(Y <= j) = theta_j - x'beta, the sign convention of polr and ours.
# Reads mv_small.csv, writes ordinal_clm.json.  Run: Rscript tests/reference/ordinal_clm.R
suppressPackageStartupMessages({library(ordinal); library(jsonlite)})
here <- if (length(a <- grep("^--file=", commandArgs(FALSE), value = TRUE)))
  dirname(sub("^--file=", "", a)) else "tests/reference"
d <- read.csv(file.path(here, "mv_small.csv"))
d$y_ord <- factor(d$y_ord, ordered = TRUE)
one <- function(link) {
  fit <- clm(y_ord ~ x + need + z, data = d, link = link,
             control = clm.control(gradTol = 1e-12, relTol = 1e-14))
  V <- vcov(fit)
  list(terms = names(fit$beta), params = unname(fit$beta),
       zeta_names = names(fit$alpha), zeta = unname(fit$alpha),
       se_names = rownames(V), se = unname(sqrt(diag(V))),
       logLik = as.numeric(logLik(fit)), max_grad = max(abs(fit$gradient)),
       niter = as.integer(fit$niter[1]))
}
out <- list(R_version = R.version.string, ordinal_version = as.character(packageVersion("ordinal")),
            nobs = nrow(d), logit = one("logit"), probit = one("probit"))
write_json(out, file.path(here, "ordinal_clm.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
