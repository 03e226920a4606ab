# Independent power loop in R (as simr::powerSim does it): refit lme4::glmer on every simulated
# wave, test the family-room term with a Wald t on the between-within df (computed here, in R,
# from the model matrix: a column constant within every institution is institution-level),
# count rejections at alpha = .05.
#
# Input: the stacked analysis frames written by tests/reference/make_power_family.py
#   (reintegratie_stats.power.simulated_frames: the twin drawn with the effect set).
# Usage: Rscript tests/reference/power_family_lme4.R frames.csv out.json
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
csv <- args[1]
out <- args[2]
alpha <- 0.05
term <- "has_family_room"
preds <- c("male", "age", "weeks_detained", "prior_convictions", "has_family_room",
           "has_child_friendly_visiting", "has_father_wing", "video_calling",
           "parent_child_days_per_year", "has_family_officer")
d <- read.csv(csv, stringsAsFactors = FALSE)

bw_df <- function(X, g) {
  # between-within df: institution-level terms get groups - rank(institution-level design
  # incl. the intercept); the others n - groups - rank(the within-institution columns)
  spread <- apply(X, 2, function(x) max(tapply(x, g, function(v) max(v) - min(v))))
  between <- spread <= 1e-12 * pmax(apply(abs(X), 2, max), 1)
  rb <- qr(X[, between, drop = FALSE])$rank
  rw <- qr(X)$rank - rb
  ng <- length(unique(g))
  stats::setNames(ifelse(between, max(ng - rb, 1), max(nrow(X) - ng - rw, 1)), colnames(X))
}

rows <- list()
t_fit <- 0
for (s in sort(unique(d$sim))) {
  ds <- d[d$sim == s, ]
  # a facility no (or every) institution of this wave has is dropped, as in the Python loop
  keep <- preds[vapply(preds, function(p) p == term || length(unique(ds[[p]])) > 1, TRUE)]
  f <- reformulate(c(keep, "(1 | institution_id)"), response = "any_visits_children")
  t0 <- proc.time()[["elapsed"]]
  fit <- tryCatch(suppressMessages(glmer(f, data = ds, family = binomial)),
                  error = function(e) NULL)
  t_fit <- t_fit + proc.time()[["elapsed"]] - t0
  if (is.null(fit)) {
    rows[[length(rows) + 1]] <- list(sim = s, estimate = NA, se = NA, df = NA, p_value = NA,
                                     reject = FALSE, singular = NA)
    next
  }
  X <- getME(fit, "X")
  df <- bw_df(X, ds$institution_id)[[term]]
  est <- unname(fixef(fit)[term])
  se <- unname(sqrt(diag(as.matrix(vcov(fit))))[match(term, names(fixef(fit)))])
  p <- 2 * pt(-abs(est / se), df)
  rows[[length(rows) + 1]] <- list(sim = s, estimate = est, se = se, df = df, p_value = p,
                                   reject = p < alpha, singular = isSingular(fit))
}
sims <- do.call(rbind, lapply(rows, as.data.frame))
n_reject <- sum(sims$reject)
res <- list(
  r_version = R.version.string,
  lme4_version = as.character(packageVersion("lme4")),
  term = term,
  alpha = alpha,
  test = "Wald t, between-within df (counted in R), Laplace glmer",
  n_sims = nrow(sims),
  n_reject = n_reject,
  power = n_reject / nrow(sims),
  seconds_per_fit = t_fit / nrow(sims),
  sims = sims
)
write_json(res, out, auto_unbox = TRUE, digits = NA, pretty = TRUE)
cat(sprintf("R: %d sims, power %.3f, %.3f s per glmer fit\n", nrow(sims), res$power,
            res$seconds_per_fit))
