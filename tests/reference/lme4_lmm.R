# Reference for statistics.lmm (multilevel.lmer / multivariate.mixed): lme4::lmer, REML and ML.
# Cases: lme4's sleepstudy (random intercept; correlated intercept + slope), Penicillin (two
# crossed random intercepts), and three chapter-5 designs of the default twin (written by
# make_lmm_ch5.py: y, g and the model-matrix columns x1..xk). Writes lme4_lmm.json and the two
# lme4 data sets as CSV.   Run: Rscript tests/reference/lme4_lmm.R
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
here <- if (length(a <- grep("^--file=", commandArgs(FALSE), value = TRUE)))
  dirname(sub("^--file=", "", a)) else "tests/reference"
write.csv(sleepstudy, file.path(here, "sleepstudy.csv"), row.names = FALSE)
write.csv(Penicillin, file.path(here, "penicillin.csv"), row.names = FALSE)
one <- function(formula, data, reml) {
  m <- lmer(as.formula(formula), data = data, REML = reml,
            control = lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
  vc <- as.data.frame(VarCorr(m)); vc1 <- vc[is.na(vc$var2), ]
  re <- as.data.frame(ranef(m, condVar = TRUE))
  list(terms = names(fixef(m)), params = unname(fixef(m)),
       se = unname(sqrt(diag(as.matrix(vcov(m))))),
       theta = unname(getME(m, "theta")), theta_names = names(getME(m, "theta")),
       vc_names = ifelse(vc1$grp == "Residual", "Residual",
                         ifelse(vc1$var1 == "(Intercept)", vc1$grp, paste0(vc1$grp, ":", vc1$var1))),
       vc = vc1$vcov, sigma2 = sigma(m)^2,
       logLik = as.numeric(logLik(m)), nobs = nobs(m), singular = isSingular(m),
       ranef = re$condval[re$grpvar == re$grpvar[1] & re$term == "(Intercept)"],
       ranef_sd = re$condsd[re$grpvar == re$grpvar[1] & re$term == "(Intercept)"],
       messages = as.list(m@optinfo$conv$lme4$messages))
}
both <- function(formula, data) list(formula = formula, reml = one(formula, data, TRUE),
                                     ml = one(formula, data, FALSE))
ss <- sleepstudy; ss$Subject <- as.character(ss$Subject)
pen <- Penicillin; pen$plate <- as.character(pen$plate); pen$sample <- as.character(pen$sample)
cases <- list(
  sleep_intercept = both("Reaction ~ Days + (1 | Subject)", ss),
  sleep_slope = both("Reaction ~ Days + (Days | Subject)", ss),
  penicillin = both("diameter ~ 1 + (1 | plate) + (1 | sample)", pen)
)
for (nm in c("overall", "id", "health")) {
  d <- read.csv(file.path(here, paste0("lmm_ch5_", nm, ".csv")), colClasses = c(g = "character"))
  xs <- grep("^x[0-9]+$", names(d), value = TRUE)
  cases[[paste0("ch5_", nm)]] <- both(paste("y ~ 0 +", paste(xs, collapse = " + "), "+ (1 | g)"), d)
}
# likelihood-ratio references on the chapter-5 overall design (ML): a fixed term (x2) and the
# institution variance (lm without the random intercept; the 50:50 mixture halves the p-value)
d <- read.csv(file.path(here, "lmm_ch5_overall.csv"), colClasses = c(g = "character"))
xs <- grep("^x[0-9]+$", names(d), value = TRUE)
big <- lmer(as.formula(paste("y ~ 0 +", paste(xs, collapse = " + "), "+ (1 | g)")), d, REML = FALSE)
small <- lmer(as.formula(paste("y ~ 0 +", paste(xs[-2], collapse = " + "), "+ (1 | g)")), d,
              REML = FALSE)
flat <- lm(as.formula(paste("y ~ 0 +", paste(xs, collapse = " + "))), d)
a <- anova(small, big)
lr_var <- as.numeric(2 * (logLik(big) - logLik(flat)))
lrt_ref <- list(drop_x2 = list(statistic = a$Chisq[2], df = a$Df[2], p_value = a[["Pr(>Chisq)"]][2],
                               logLik_small = as.numeric(logLik(small))),
                variance = list(statistic = lr_var, logLik_lm = as.numeric(logLik(flat)),
                                p_value = 0.5 * pchisq(lr_var, 1, lower.tail = FALSE)))
out <- list(R_version = R.version.string, lme4_version = as.character(packageVersion("lme4")),
            cases = cases, lrt = lrt_ref)
write_json(out, file.path(here, "lme4_lmm.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
