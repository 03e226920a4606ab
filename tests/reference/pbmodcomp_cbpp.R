## Reference values for tests/test_multilevel_bootstrap.py (issue 12): pbkrtest::PBmodcomp, the
## parametric-bootstrap likelihood-ratio test, on lme4's cbpp expanded to one 0/1 row per animal
## (as tests/reference/glmm_cbpp.R). Big model y ~ period + (1 | herd); small model
## y ~ later + (1 | herd) with later = (period != 1): the test that periods 2, 3 and 4 have the
## same incidence (2 df, a moderate p-value, so that the two bootstrap p-values can be compared
## within Monte Carlo error). Writes pbmodcomp_cbpp.json with the observed statistic, both
## p-values and the whole simulated reference distribution.
## Run from the repository root:  Rscript tests/reference/pbmodcomp_cbpp.R
suppressPackageStartupMessages({library(lme4); library(pbkrtest); library(jsonlite)})
cat(R.version.string, "\n")
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))

cb <- lme4::cbpp
rows <- lapply(seq_len(nrow(cb)), function(i) {
  data.frame(herd = cb$herd[i], period = cb$period[i],
             y = c(rep(1, cb$incidence[i]), rep(0, cb$size[i] - cb$incidence[i])))
})
cbpp01 <- do.call(rbind, rows)
cbpp01$later <- as.numeric(cbpp01$period != "1")

big <- glmer(y ~ period + (1 | herd), data = cbpp01, family = binomial)
small <- glmer(y ~ later + (1 | herd), data = cbpp01, family = binomial)
nsim <- 400
t <- system.time(pb <- PBmodcomp(big, small, nsim = nsim, seed = 20261202))[["elapsed"]]
print(pb)
ref <- as.numeric(pb$ref)
out <- list(
  R = R.version.string,
  lme4 = as.character(packageVersion("lme4")),
  pbkrtest = as.character(packageVersion("pbkrtest")),
  call = "PBmodcomp(glmer(y ~ period + (1 | herd)), glmer(y ~ later + (1 | herd)), nsim = 400, seed = 20261202)",
  nobs = nrow(cbpp01),
  statistic = unname(pb$test["LRT", "stat"]),
  df = unname(pb$test["LRT", "df"]),
  p_chi2 = unname(pb$test["LRT", "p.value"]),
  p_pb = unname(pb$test["PBtest", "p.value"]),
  nsim = nsim,
  n_used = unname(pb$samples["npos"]),
  n_extreme = unname(pb$n.extreme),
  elapsed_s = t,
  ref = ref
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "pbmodcomp_cbpp.json"))
