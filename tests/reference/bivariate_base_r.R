# Reference values from base R (stats) for tests/test_statistics_tests.py::test_against_base_r_fixture.
# Run: Rscript tests/reference/bivariate_base_r.R  (writes bivariate_base_r.json beside this file)
suppressPackageStartupMessages(library(jsonlite))
set.seed(2019)  # not used by the computations below; kept for the convention
cat(R.version.string, "\n")
cat("jsonlite", as.character(packageVersion("jsonlite")), "\n")

out <- list(R_version = R.version.string)

# proportion intervals: Wilson = prop.test without continuity correction; Clopper-Pearson = binom.test
props <- list(c(7, 10), c(0, 15), c(44, 100), c(199, 200))
out$wilson <- lapply(props, function(p) as.numeric(prop.test(p[1], p[2], correct = FALSE)$conf.int))
out$clopper_pearson <- lapply(props, function(p) as.numeric(binom.test(p[1], p[2])$conf.int))
out$props <- props

# chi-square with and without Yates, Fisher's exact (two-sided)
tab <- matrix(c(30, 15, 20, 40), nrow = 2)  # rows: (30, 20), (15, 40)
out$chi2_table <- list(c(30, 20), c(15, 40))
ct <- chisq.test(tab, correct = FALSE)
cy <- chisq.test(tab, correct = TRUE)
out$chi2 <- list(statistic = unname(ct$statistic), p_value = ct$p.value)
out$chi2_yates <- list(statistic = unname(cy$statistic), p_value = cy$p.value)
tea <- matrix(c(3, 1, 1, 3), nrow = 2)
out$fisher_tea <- list(p_two_sided = fisher.test(tea)$p.value,
                       p_greater = fisher.test(tea, alternative = "greater")$p.value)
rxc <- matrix(c(120, 100, 80, 90, 60, 110), nrow = 2)  # rows: (120, 80, 60), (100, 90, 110)
out$rxc_table <- list(c(120, 80, 60), c(100, 90, 110))
r3 <- chisq.test(rxc)
out$rxc <- list(statistic = unname(r3$statistic), df = unname(r3$parameter), p_value = r3$p.value)

# multiple testing
p <- c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216)
out$p_raw <- p
out$holm <- p.adjust(p, "holm")
out$BH <- p.adjust(p, "BH")

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                     "bivariate_base_r.json"))
