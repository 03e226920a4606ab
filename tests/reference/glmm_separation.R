## Reference values for tests/test_multilevel_separation.py (issue 12, point 4).
## (1) The check of detectseparation::check_infinite_estimates (Lesaffre & Albert 1989): refit
##     glm with maxit = 1..25 and divide the SEs by those at maxit = 1; a ratio that keeps
##     growing marks an infinite estimate. Written out here because Debian's brglm2 0.9 no
##     longer ships it and detectseparation is not packaged; it shares nothing with our
##     linear-programming check. On four designs: a hand-made
##     quasi-separated two-level data set (glmm_separation.csv: y = 0 wherever the group-level
##     z = 0), a completely separated one, a non-separated one, and the chapter-4 family model
##     for video calling on the default twin (family_video_calls.csv, from make_family_video.py).
## (2) blme::bglmer (optimizer bobyqa) with normal priors on the fixed effects (sd 10 intercept, 2.5 others; blme's
##     default normal()) and no prior on the variance (cov.prior = NULL), Laplace and nAGQ = 10,
##     on the quasi-separated set and on the video-calling model.
## Run from the repository root:  Rscript tests/reference/glmm_separation.R
suppressPackageStartupMessages({library(lme4); library(blme); library(jsonlite)})
cat(R.version.string, "\n")
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))

set.seed(20261202)
G <- 20; n <- 600
g <- rep(seq_len(G), each = n / G)
z <- as.integer(g %% 2 == 0)            # a group-level facility, present in half the groups
x <- rnorm(n)
b <- rnorm(G, 0, 0.7)
eta <- -0.3 + 0.6 * x + b[g]
y <- ifelse(z == 1, rbinom(n, 1, plogis(eta)), 0L)   # no outcome where the facility is absent
w <- rbinom(n, 1, 0.5)
sep <- data.frame(y = y, x = round(x, 6), z = z, w = w, g = sprintf("PI%02d", g))
write.csv(sep, file.path(here, "glmm_separation.csv"), row.names = FALSE)
sep <- read.csv(file.path(here, "glmm_separation.csv"))

detect <- function(formula, data) {
  m <- suppressWarnings(glm(formula, data = data, family = binomial))
  se_at <- function(k) {
    mk <- suppressWarnings(glm(formula, data = data, family = binomial,
                               control = glm.control(maxit = k, epsilon = 1e-300)))
    sqrt(diag(vcov(mk)))
  }
  last <- se_at(25) / se_at(1)
  list(se_ratio_last = as.list(last), glm_coef = as.list(coef(m)),
       infinite = as.list(last > 100))
}
comp <- transform(sep, yc = as.integer(x > 0.3))            # complete: y is a step in x
fv <- read.csv(file.path(here, "family_video_calls.csv"))
fv_terms <- setdiff(names(fv), c("y", "g"))
f_fv <- reformulate(fv_terms, "y")

fit_blme <- function(formula, data, nagq, optimizer = c("bobyqa", "Nelder_Mead")) {
  m <- bglmer(formula, data = data, family = binomial, nAGQ = nagq,
              fixef.prior = normal(sd = c(10, 2.5)), cov.prior = NULL,
              control = glmerControl(optimizer = optimizer))
  list(nagq = nagq, params = as.list(fixef(m)), se = as.list(sqrt(diag(as.matrix(vcov(m))))),
       theta = unname(getME(m, "theta")), logLik = as.numeric(logLik(m)))
}
fit_ml <- function(formula, data) {
  m <- suppressWarnings(glmer(formula, data = data, family = binomial))
  list(params = as.list(fixef(m)), se = as.list(sqrt(diag(as.matrix(vcov(m))))),
       theta = unname(getME(m, "theta")))
}
f_sep <- y ~ x + z + w + (1 | g)
out <- list(
  R = R.version.string, lme4 = as.character(packageVersion("lme4")),
  blme = as.character(packageVersion("blme")),
  detect = list(
    quasi = detect(y ~ x + z + w, sep),
    complete = detect(yc ~ x + w, comp),
    none = detect(w ~ x + z, sep),
    video = detect(f_fv, fv)
  ),
  bglmer = list(
    quasi_laplace = fit_blme(f_sep, sep, 1),
    quasi_agq10 = fit_blme(f_sep, sep, 10),
    video_laplace = fit_blme(update(f_fv, . ~ . + (1 | g)), fv, 1, "bobyqa"),
    ## glmer's default optimiser stops 18 deviance units short of the optimum here (and warns
    ## that the Hessian is not positive definite); recorded to show it, not compared
    video_laplace_nelder_mead = fit_blme(update(f_fv, . ~ . + (1 | g)), fv, 1, "Nelder_Mead")
  ),
  glmer_ml = list(quasi = fit_ml(f_sep, sep), video = fit_ml(update(f_fv, . ~ . + (1 | g)), fv))
)
write_json(out, file.path(here, "glmm_separation.json"), auto_unbox = TRUE, digits = NA,
           pretty = TRUE)
