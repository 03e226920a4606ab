# Reference for SUR (feasible GLS, one step, residual covariance with divisor N):
# systemfit::systemfit(method = "SUR", methodResidCov = "noDfCor").
# Reads mv_small.csv, writes systemfit_sur.json.   Run: Rscript tests/reference/systemfit_sur.R
suppressPackageStartupMessages({library(systemfit); library(jsonlite)})
set.seed(1)
here <- if (length(a <- grep("^--file=", commandArgs(FALSE), value = TRUE)))
  dirname(sub("^--file=", "", a)) else "tests/reference"
cat(R.version.string, "\n"); cat("systemfit", as.character(packageVersion("systemfit")), "\n")
d <- read.csv(file.path(here, "mv_small.csv"))
eqs <- list(e1 = y1 ~ x1 + need, e2 = y2 ~ x2 + need, e3 = y3 ~ x3 + need)
fit <- systemfit(eqs, method = "SUR", data = d, methodResidCov = "noDfCor")
V <- vcov(fit)
out <- list(R_version = R.version.string,
            systemfit_version = as.character(packageVersion("systemfit")),
            terms = names(coef(fit)), params = unname(coef(fit)),
            se = unname(sqrt(diag(V))), residCov = unname(fit$residCov),
            # H0: coefficient of need equal in the three equations (2 restrictions), Wald chi2
            wald_need_equal = {
              R <- matrix(0, 2, length(coef(fit)), dimnames = list(NULL, names(coef(fit))))
              R[1, "e1_need"] <- 1; R[1, "e2_need"] <- -1
              R[2, "e2_need"] <- 1; R[2, "e3_need"] <- -1
              r <- R %*% coef(fit)
              as.numeric(t(r) %*% solve(R %*% V %*% t(R)) %*% r)
            },
            # the same test by car::linearHypothesis (an independent implementation)
            wald_need_equal_car = car::linearHypothesis(
              fit, c("e1_need - e2_need = 0", "e2_need - e3_need = 0"), test = "Chisq")$Chisq[2])
write_json(out, file.path(here, "systemfit_sur.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
