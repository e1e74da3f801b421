# Log-based metrics from our structured logs (platform/logging.py). Each function writes
# one JSON object per line on stdout; Cloud Run lifts `severity`, `message` and
# `httpRequest` into the log entry and keeps the rest under jsonPayload. The lines these
# metrics read are listed in docs/operations.md ("The log contract").
#
# Metric names carry the region (archbuilder_<region>_*) because log-based metrics are
# project-wide and every region stack owns its own. No slashes: the names are also used
# from PromQL (logging_googleapis_com:user_<name>).

locals {
  metric_prefix = "archbuilder_${var.region_key}"

  # Our functions' own stdout in this region (not Cloud Run's request log, which would
  # count every request twice).
  log_base = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.location=\"${var.location}\"",
    "resource.labels.service_name=~\"^${local.prefix}-\"",
    "logName=\"projects/${var.project_id}/logs/run.googleapis.com%2Fstdout\"",
  ])

  # Milliseconds, 1 ms to ~10 min in 20 exponential buckets.
  ms_buckets = {
    num_finite_buckets = 20
    growth_factor      = 2
    scale              = 1
  }
}

# --- Requests: one access line per request (message "request", httpRequest, route).
resource "google_logging_metric" "request_count" {
  project = var.project_id
  name    = "${local.metric_prefix}_request_count"
  filter  = "${local.log_base} AND jsonPayload.message=\"request\" AND httpRequest.status>=100"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "ArchBuilder ${var.region_key}: requests"
    labels {
      key         = "function"
      value_type  = "STRING"
      description = "Cloud Run service of the function"
    }
    labels {
      key         = "route"
      value_type  = "STRING"
      description = "Route template that matched (empty for unknown paths)"
    }
    labels {
      key         = "status"
      value_type  = "STRING"
      description = "HTTP status code"
    }
  }

  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
    route    = "EXTRACT(jsonPayload.route)"
    status   = "EXTRACT(httpRequest.status)"
  }
}

resource "google_logging_metric" "request_latency" {
  project         = var.project_id
  name            = "${local.metric_prefix}_request_latency"
  filter          = "${local.log_base} AND jsonPayload.message=\"request\" AND httpRequest.latency:*"
  value_extractor = "REGEXP_EXTRACT(httpRequest.latency, \"([0-9.]+)s\")"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "s"
    display_name = "ArchBuilder ${var.region_key}: request latency"
    labels {
      key        = "function"
      value_type = "STRING"
    }
    labels {
      key        = "route"
      value_type = "STRING"
    }
  }

  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
    route    = "EXTRACT(jsonPayload.route)"
  }

  # 1 ms to ~65 s.
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 17
      growth_factor      = 2
      scale              = 0.001
    }
  }
}

# --- Jobs: metric="job_finished" with kind, status, duration_ms.
resource "google_logging_metric" "job_outcomes" {
  project = var.project_id
  name    = "${local.metric_prefix}_job_outcomes"
  filter  = "${local.log_base} AND jsonPayload.metric=\"job_finished\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "ArchBuilder ${var.region_key}: job outcomes"
    labels {
      key        = "kind"
      value_type = "STRING"
    }
    labels {
      key         = "status"
      value_type  = "STRING"
      description = "succeeded, failed, retrying, expired"
    }
  }

  label_extractors = {
    kind   = "EXTRACT(jsonPayload.kind)"
    status = "EXTRACT(jsonPayload.status)"
  }
}

resource "google_logging_metric" "job_duration" {
  project         = var.project_id
  name            = "${local.metric_prefix}_job_duration"
  filter          = "${local.log_base} AND jsonPayload.metric=\"job_finished\" AND jsonPayload.duration_ms:*"
  value_extractor = "EXTRACT(jsonPayload.duration_ms)"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "ArchBuilder ${var.region_key}: job duration"
    labels {
      key        = "kind"
      value_type = "STRING"
    }
  }

  label_extractors = {
    kind = "EXTRACT(jsonPayload.kind)"
  }

  bucket_options {
    exponential_buckets {
      num_finite_buckets = local.ms_buckets.num_finite_buckets
      growth_factor      = local.ms_buckets.growth_factor
      scale              = local.ms_buckets.scale
    }
  }
}

# --- Layout validity: metric="layout_validated" with valid (true/false) and code.
resource "google_logging_metric" "layout_validity" {
  project = var.project_id
  name    = "${local.metric_prefix}_layout_validity"
  filter  = "${local.log_base} AND jsonPayload.metric=\"layout_validated\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "ArchBuilder ${var.region_key}: layouts validated"
    labels {
      key        = "valid"
      value_type = "STRING"
    }
    labels {
      key         = "code"
      value_type  = "STRING"
      description = "First validation error code of an invalid layout"
    }
  }

  label_extractors = {
    valid = "EXTRACT(jsonPayload.valid)"
    code  = "EXTRACT(jsonPayload.code)"
  }
}

# --- Compliance: metric="compliance_checked" with pass_rate (0-1) and code region.
resource "google_logging_metric" "compliance_pass_rate" {
  project         = var.project_id
  name            = "${local.metric_prefix}_compliance_pass_rate"
  filter          = "${local.log_base} AND jsonPayload.metric=\"compliance_checked\" AND jsonPayload.pass_rate:*"
  value_extractor = "EXTRACT(jsonPayload.pass_rate)"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "ArchBuilder ${var.region_key}: compliance pass rate"
    labels {
      key         = "code_region"
      value_type  = "STRING"
      description = "Building-code region of the check (TR, DE, ...)"
    }
  }

  label_extractors = {
    code_region = "EXTRACT(jsonPayload.code_region)"
  }

  bucket_options {
    linear_buckets {
      num_finite_buckets = 10
      width              = 0.1
      offset             = 0
    }
  }
}

# --- AI: metric="ai_call" with provider, model, task, latency_ms, tokens, cost_usd.
locals {
  ai_labels = {
    provider = "EXTRACT(jsonPayload.provider)"
    task     = "EXTRACT(jsonPayload.task)"
  }
}

resource "google_logging_metric" "ai_latency" {
  project          = var.project_id
  name             = "${local.metric_prefix}_ai_latency"
  filter           = "${local.log_base} AND jsonPayload.metric=\"ai_call\" AND jsonPayload.latency_ms:*"
  value_extractor  = "EXTRACT(jsonPayload.latency_ms)"
  label_extractors = local.ai_labels

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "ArchBuilder ${var.region_key}: AI call latency"
    labels {
      key        = "provider"
      value_type = "STRING"
    }
    labels {
      key        = "task"
      value_type = "STRING"
    }
  }

  bucket_options {
    exponential_buckets {
      num_finite_buckets = local.ms_buckets.num_finite_buckets
      growth_factor      = local.ms_buckets.growth_factor
      scale              = local.ms_buckets.scale
    }
  }
}

resource "google_logging_metric" "ai_tokens" {
  project          = var.project_id
  name             = "${local.metric_prefix}_ai_tokens"
  filter           = "${local.log_base} AND jsonPayload.metric=\"ai_call\" AND jsonPayload.tokens:*"
  value_extractor  = "EXTRACT(jsonPayload.tokens)"
  label_extractors = local.ai_labels

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "ArchBuilder ${var.region_key}: AI tokens per call"
    labels {
      key        = "provider"
      value_type = "STRING"
    }
    labels {
      key        = "task"
      value_type = "STRING"
    }
  }

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 20
      growth_factor      = 2
      scale              = 1
    }
  }
}

resource "google_logging_metric" "ai_cost" {
  project          = var.project_id
  name             = "${local.metric_prefix}_ai_cost_usd"
  filter           = "${local.log_base} AND jsonPayload.metric=\"ai_call\" AND jsonPayload.cost_usd:*"
  value_extractor  = "EXTRACT(jsonPayload.cost_usd)"
  label_extractors = local.ai_labels

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "USD"
    display_name = "ArchBuilder ${var.region_key}: AI cost per call"
    labels {
      key        = "provider"
      value_type = "STRING"
    }
    labels {
      key        = "task"
      value_type = "STRING"
    }
  }

  # $0.0001 to ~$100 per call.
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 20
      growth_factor      = 2
      scale              = 0.0001
    }
  }
}

# --- Rate limits: metric="rate_limit_hit" (services/rate_limits.py) with limit.
resource "google_logging_metric" "rate_limit_hits" {
  project = var.project_id
  name    = "${local.metric_prefix}_rate_limit_hits"
  filter  = "${local.log_base} AND jsonPayload.metric=\"rate_limit_hit\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "ArchBuilder ${var.region_key}: rate-limit hits"
    labels {
      key         = "limit"
      value_type  = "STRING"
      description = "Which bucket refused: per key or per tenant"
    }
  }

  label_extractors = {
    limit = "EXTRACT(jsonPayload.limit)"
  }
}

# --- Business: review outcomes, subscription movements (services/reviews.py,
# billing/subscription_changes.py). Generation success is job_outcomes with kind="layout"
# (a failed layout job logs job_finished with status "failed").

# metric="review_decided" with decision and outcome (approved, corrected, rejected,
# revision_requested).
resource "google_logging_metric" "review_outcomes" {
  project = var.project_id
  name    = "${local.metric_prefix}_review_outcomes"
  filter  = "${local.log_base} AND jsonPayload.metric=\"review_decided\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "ArchBuilder ${var.region_key}: review outcomes"
    labels {
      key         = "outcome"
      value_type  = "STRING"
      description = "approved, corrected, rejected, revision_requested"
    }
  }

  label_extractors = {
    outcome = "EXTRACT(jsonPayload.outcome)"
  }
}

# metric="subscription_changed": one line per change of a tenant's subscription the billing
# worker stores, with movement (new, expansion, contraction, churn, none), plan, status,
# currency, mrr_delta (major units), trial_converted, payment_failed, payment_recovered.
locals {
  subscription_labels = {
    movement = "EXTRACT(jsonPayload.movement)"
    plan     = "EXTRACT(jsonPayload.plan)"
    currency = "EXTRACT(jsonPayload.currency)"
  }
}

resource "google_logging_metric" "subscription_movements" {
  project          = var.project_id
  name             = "${local.metric_prefix}_subscription_movements"
  filter           = "${local.log_base} AND jsonPayload.metric=\"subscription_changed\""
  label_extractors = local.subscription_labels

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "ArchBuilder ${var.region_key}: subscription movements"
    labels {
      key         = "movement"
      value_type  = "STRING"
      description = "new, expansion, contraction, churn, none"
    }
    labels {
      key        = "plan"
      value_type = "STRING"
    }
    labels {
      key        = "currency"
      value_type = "STRING"
    }
  }
}

resource "google_logging_metric" "mrr_change" {
  project          = var.project_id
  name             = "${local.metric_prefix}_mrr_change"
  filter           = "${local.log_base} AND jsonPayload.metric=\"subscription_changed\" AND jsonPayload.mrr_delta:*"
  value_extractor  = "EXTRACT(jsonPayload.mrr_delta)"
  label_extractors = local.subscription_labels

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "ArchBuilder ${var.region_key}: MRR change per subscription change (major units)"
    labels {
      key        = "movement"
      value_type = "STRING"
    }
    labels {
      key        = "plan"
      value_type = "STRING"
    }
    labels {
      key        = "currency"
      value_type = "STRING"
    }
  }

  # Negative for contraction and churn: linear buckets from -10,000 to +10,000.
  bucket_options {
    linear_buckets {
      num_finite_buckets = 40
      width              = 500
      offset             = -10000
    }
  }
}

# Payments failed and recovered, trials converted: the same line, one flag each.
resource "google_logging_metric" "billing_signals" {
  project = var.project_id
  name    = "${local.metric_prefix}_billing_signals"
  filter = join(" AND ", [
    local.log_base,
    "jsonPayload.metric=\"subscription_changed\"",
    "(jsonPayload.payment_failed=true OR jsonPayload.payment_recovered=true OR jsonPayload.trial_converted=true)",
  ])

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "ArchBuilder ${var.region_key}: payments failed or recovered, trials converted"
    labels {
      key        = "payment_failed"
      value_type = "STRING"
    }
    labels {
      key        = "payment_recovered"
      value_type = "STRING"
    }
    labels {
      key        = "trial_converted"
      value_type = "STRING"
    }
  }

  label_extractors = {
    payment_failed    = "EXTRACT(jsonPayload.payment_failed)"
    payment_recovered = "EXTRACT(jsonPayload.payment_recovered)"
    trial_converted   = "EXTRACT(jsonPayload.trial_converted)"
  }
}
