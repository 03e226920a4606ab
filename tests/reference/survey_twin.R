# Reference for design-based estimation (statistics/design_based.py): R's survey package.
# Reads survey_twin.csv (the default twin with unequal weights and strata, written by
# make_survey_twin.py), writes survey_twin.json.
# Run: Rscript tests/reference/survey_twin.R   (from the repository root)
#
# Three designs on the same data:
#   cluster: svydesign(ids = ~institution_id, weights = ~weight)            (the default)
#   strata:  svydesign(ids = ~institution_id, strata = ~stratum, weights = ~weight)
#   rows:    svydesign(ids = ~1, weights = ~weight)                          (no clustering)
# Domains (respondents, groups, subpopulations) are subset() of the full design, so every
# PSU enters the variance (svyby); interval df are degf() of the domain's design.
suppressPackageStartupMessages({library(survey); library(jsonlite)})
set.seed(1)  # nothing random below; kept by convention
here <- if (length(a <- grep("^--file=", commandArgs(FALSE), value = TRUE)))
  dirname(sub("^--file=", "", a)) else "tests/reference"
cat(R.version.string, "\n"); cat("survey", as.character(packageVersion("survey")), "\n")
d <- read.csv(file.path(here, "survey_twin.csv"))
types <- c("casemanager", "mentor", "probation", "municipality", "care", "volunteer")
domains <- c("work_income", "housing", "finances", "health", "id", "social_network")
designs <- list(
  cluster = svydesign(ids = ~institution_id, weights = ~weight, data = d),
  strata = svydesign(ids = ~institution_id, strata = ~stratum, weights = ~weight, data = d),
  rows = svydesign(ids = ~1, weights = ~weight, data = d)
)

prop_row <- function(sub, v) {
  f <- as.formula(paste0("~", v))
  lg <- svyciprop(f, sub, method = "logit")
  xl <- svyciprop(f, sub, method = "xlogit")
  mn <- svyciprop(f, sub, method = "mean")
  m <- svymean(f, sub, deff = "replace")
  list(variable = v, n = nrow(sub), rate = unname(coef(m)), se = unname(as.numeric(SE(m))),
       deff = unname(as.numeric(deff(m))), df = degf(sub),
       ci_logit = unname(as.numeric(attr(lg, "ci"))),
       ci_xlogit = unname(as.numeric(attr(xl, "ci"))),
       ci_mean = unname(as.numeric(attr(mn, "ci"))))
}

one_design <- function(des) {
  rates <- lapply(types, function(t) {
    v <- paste0("contact_", t)
    sub <- des[!is.na(des$variables[[v]]), ]
    prop_row(sub, v)
  })
  by_regime <- lapply(c("casemanager", "care"), function(t) {
    v <- paste0("contact_", t)
    sub <- des[!is.na(des$variables[[v]]), ]
    b <- svyby(as.formula(paste0("~", v)), ~regime, sub, svyciprop, method = "logit",
               vartype = c("se", "ci"))
    dfs <- sapply(as.character(b$regime), function(g) degf(sub[sub$variables$regime == g, ]))
    list(variable = v, regime = as.character(b$regime), rate = unname(b[[v]]),
         se = unname(b$se), ci_low = unname(b$ci_l), ci_high = unname(b$ci_u),
         df = unname(dfs))
  })
  chisq <- list()
  for (dm in domains) for (t in types) {
    x <- paste0("need_", dm); y <- paste0("contact_", t)
    sub <- des[!is.na(des$variables[[x]]) & !is.na(des$variables[[y]]), ]
    f <- as.formula(paste0("~", x, "+", y))
    tf <- svychisq(f, sub, statistic = "F")
    tc <- svychisq(f, sub, statistic = "Chisq")
    g <- svyglm(as.formula(paste0(y, "~", x)), sub, family = quasibinomial)
    ci <- confint(g)[2, ]
    chisq[[length(chisq) + 1]] <- list(
      need = dm, type = t, n = nrow(sub),
      F = unname(tf$statistic), ndf = unname(tf$parameter[1]), ddf = unname(tf$parameter[2]),
      p_F = unname(tf$p.value), X2 = unname(tc$statistic), df_chisq = unname(tc$parameter),
      p_chisq = unname(tc$p.value),
      log_or = unname(coef(g)[2]), log_or_se = unname(SE(g)[2]),
      or_ci = unname(exp(as.numeric(ci))), or_df = g$df.residual)
  }
  sub <- des[!is.na(des$variables$contact_casemanager), ]
  rg <- svychisq(~regime + contact_casemanager, sub, statistic = "F")
  rgc <- svychisq(~regime + contact_casemanager, sub, statistic = "Chisq")
  regime_test <- list(F = unname(rg$statistic), ndf = unname(rg$parameter[1]),
                      ddf = unname(rg$parameter[2]), p_F = unname(rg$p.value),
                      X2 = unname(rgc$statistic), p_chisq = unname(rgc$p.value))
  sat <- des[!is.na(des$variables$contact_casemanager) & des$variables$contact_casemanager == 1 &
             !is.na(des$variables$sat_casemanager), ]
  ms <- svymean(~sat_casemanager, sat)
  sat_mean <- list(n = nrow(sat), mean = unname(coef(ms)), se = unname(as.numeric(SE(ms))), df = degf(sat),
                   ci = unname(as.numeric(confint(ms, df = degf(sat)))))
  kids <- des[des$variables$has_children == 1, ]
  among <- prop_row(kids, "contact_probation")
  list(df = degf(des), n_psu = length(unique(des$cluster[, 1])), rates = rates,
       by_regime = by_regime, chisq = chisq, regime_test = regime_test,
       satisfaction = sat_mean, among_children = among)
}

out <- list(
  R_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  data = "survey_twin.csv",
  designs = lapply(designs, one_design)
)
write_json(out, file.path(here, "survey_twin.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
