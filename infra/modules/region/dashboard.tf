# One Cloud Monitoring dashboard per region: traffic and errors, latency, jobs, layout
# and compliance quality, AI latency/tokens/cost, rate limits, dead letters, and the business
# charts (generation success, review outcomes, subscription movements, dunning, MRR change).
# docs/operations.md explains each chart.

locals {
  user_metric = "logging.googleapis.com/user"

  # A chart of one Cloud Monitoring filter, aligned and reduced as given.
  charts = [
    {
      title   = "Requests per second by function (load balancer)"
      filter  = "${local.lb_filter} AND metric.type=\"loadbalancing.googleapis.com/https/request_count\""
      aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = ["resource.labels.backend_target_name"], plot = "STACKED_AREA"
    },
    {
      title   = "Responses by status class (load balancer)"
      filter  = "${local.lb_filter} AND metric.type=\"loadbalancing.googleapis.com/https/request_count\""
      aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = ["metric.labels.response_code_class"], plot = "STACKED_BAR"
    },
    {
      title   = "5xx per second by route"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.request_count.name}\" AND metric.labels.status=monitoring.regex.full_match(\"5..\")"
      aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = ["metric.labels.route"], plot = "LINE"
    },
    {
      title   = "p95 latency by route (s)"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.request_latency.name}\""
      aligner = "ALIGN_DELTA", reducer = "REDUCE_PERCENTILE_95", group_by = ["metric.labels.route"], plot = "LINE"
    },
    {
      title   = "Job outcomes by kind and status"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.job_outcomes.name}\""
      aligner = "ALIGN_DELTA", reducer = "REDUCE_SUM", group_by = ["metric.labels.kind", "metric.labels.status"], plot = "STACKED_BAR"
    },
    {
      title   = "p95 job duration by kind (ms)"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.job_duration.name}\""
      aligner = "ALIGN_DELTA", reducer = "REDUCE_PERCENTILE_95", group_by = ["metric.labels.kind"], plot = "LINE"
    },
    {
      title   = "Layouts validated (valid true/false)"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.layout_validity.name}\""
      aligner = "ALIGN_DELTA", reducer = "REDUCE_SUM", group_by = ["metric.labels.valid"], plot = "STACKED_BAR"
    },
    {
      title   = "Compliance pass rate (mean) by code region"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.compliance_pass_rate.name}\""
      aligner = "ALIGN_DELTA", reducer = "REDUCE_MEAN", group_by = ["metric.labels.code_region"], plot = "LINE"
    },
    {
      title   = "p95 AI latency by provider (ms)"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.ai_latency.name}\""
      aligner = "ALIGN_DELTA", reducer = "REDUCE_PERCENTILE_95", group_by = ["metric.labels.provider"], plot = "LINE"
    },
    {
      title   = "Rate-limit hits by limit"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.rate_limit_hits.name}\""
      aligner = "ALIGN_DELTA", reducer = "REDUCE_SUM", group_by = ["metric.labels.limit"], plot = "STACKED_BAR"
    },
    # Business charts (docs/operations.md, "Business view"): the live counterpart of /admin.
    {
      title   = "Generation: layout jobs by outcome"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.job_outcomes.name}\" AND metric.labels.kind=\"layout\""
      aligner = "ALIGN_DELTA", reducer = "REDUCE_SUM", group_by = ["metric.labels.status"], plot = "STACKED_BAR"
    },
    {
      title   = "Review outcomes (approved, corrected, rejected, revision requested)"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.review_outcomes.name}\""
      aligner = "ALIGN_DELTA", reducer = "REDUCE_SUM", group_by = ["metric.labels.outcome"], plot = "STACKED_BAR"
    },
    {
      title   = "Subscription movements (new, expansion, contraction, churn)"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.subscription_movements.name}\" AND metric.labels.movement!=\"none\""
      aligner = "ALIGN_DELTA", reducer = "REDUCE_SUM", group_by = ["metric.labels.movement"], plot = "STACKED_BAR"
    },
    {
      title   = "Payments failed and recovered, trials converted"
      filter  = "metric.type=\"${local.user_metric}/${google_logging_metric.billing_signals.name}\""
      aligner = "ALIGN_DELTA", reducer = "REDUCE_SUM", group_by = ["metric.labels.payment_failed", "metric.labels.payment_recovered", "metric.labels.trial_converted"], plot = "STACKED_BAR"
    },
    {
      title   = "Dead letters waiting by subscription"
      filter  = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=monitoring.regex.full_match(\"${local.prefix}-.*-dead-letter\") AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      aligner = "ALIGN_MAX", reducer = "REDUCE_SUM", group_by = ["resource.labels.subscription_id"], plot = "LINE"
    },
  ]

  # Sums of distribution metrics (tokens, dollars) read best in PromQL (_sum series).
  prom_charts = [
    {
      title = "AI tokens per hour by provider"
      query = "sum by (provider) (increase(logging_googleapis_com:user_${google_logging_metric.ai_tokens.name}_sum[1h]))"
    },
    {
      title = "AI cost per hour by provider (USD)"
      query = "sum by (provider) (increase(logging_googleapis_com:user_${google_logging_metric.ai_cost.name}_sum[1h]))"
    },
    {
      title = "Net MRR change per day by currency (major units)"
      query = "sum by (currency) (increase(logging_googleapis_com:user_${google_logging_metric.mrr_change.name}_sum[1d]))"
    },
    {
      title = "AI cost per day by task (USD), beside the MRR change"
      query = "sum by (task) (increase(logging_googleapis_com:user_${google_logging_metric.ai_cost.name}_sum[1d]))"
    },
  ]

  filter_tiles = [
    for i, c in local.charts : {
      xPos   = (i % 2) * 6
      yPos   = floor(i / 2) * 4
      width  = 6
      height = 4
      widget = {
        title = c.title
        xyChart = {
          dataSets = [{
            plotType = c.plot
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = c.filter
                aggregation = {
                  alignmentPeriod    = "60s"
                  perSeriesAligner   = c.aligner
                  crossSeriesReducer = c.reducer
                  groupByFields      = c.group_by
                }
              }
            }
          }]
        }
      }
    }
  ]

  prom_tiles = [
    for i, c in local.prom_charts : {
      xPos   = ((length(local.charts) + i) % 2) * 6
      yPos   = floor((length(local.charts) + i) / 2) * 4
      width  = 6
      height = 4
      widget = {
        title = c.title
        xyChart = {
          dataSets = [{
            plotType        = "STACKED_BAR"
            timeSeriesQuery = { prometheusQuery = c.query }
          }]
        }
      }
    }
  ]
}

resource "google_monitoring_dashboard" "region" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName = "ArchBuilder ${var.environment} ${var.region_key} (${var.location})"
    mosaicLayout = {
      columns = 12
      tiles   = concat(local.filter_tiles, local.prom_tiles)
    }
  })
}
