# Alert policies of the region. Each one's runbook is in docs/operations.md under the
# same name as display_name.

resource "google_monitoring_notification_channel" "email" {
  for_each     = toset(var.alert_emails)
  project      = var.project_id
  display_name = "ArchBuilder ${var.region_key} alerts: ${each.value}"
  type         = "email"
  labels = {
    email_address = each.value
  }
}

locals {
  channels = [for c in google_monitoring_notification_channel.email : c.id]

  # The load balancer's own metrics: present whatever the functions log, and they count
  # what Cloud Armor refused too.
  lb_filter = "resource.type=\"https_lb_rule\" AND resource.labels.url_map_name=\"${google_compute_url_map.api.name}\""
}

resource "google_monitoring_alert_policy" "error_rate" {
  project               = var.project_id
  display_name          = "ArchBuilder ${var.region_key}: 5xx error rate"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = local.labels

  documentation {
    mime_type = "text/markdown"
    content   = "More than ${var.error_rate_threshold * 100}% of requests to ${var.hostname} failed with 5xx for 5 minutes. Runbook: docs/operations.md, \"5xx error rate\"."
  }

  conditions {
    display_name = "5xx / all requests > ${var.error_rate_threshold}"
    condition_threshold {
      filter             = "${local.lb_filter} AND metric.type=\"loadbalancing.googleapis.com/https/request_count\" AND metric.labels.response_code_class=500"
      denominator_filter = "${local.lb_filter} AND metric.type=\"loadbalancing.googleapis.com/https/request_count\""
      comparison         = "COMPARISON_GT"
      threshold_value    = var.error_rate_threshold
      duration           = "300s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }
}

resource "google_monitoring_alert_policy" "latency_p95" {
  project               = var.project_id
  display_name          = "ArchBuilder ${var.region_key}: p95 latency"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = local.labels

  documentation {
    mime_type = "text/markdown"
    content   = "The 95th percentile latency of ${var.hostname} stayed above ${var.latency_p95_threshold_ms} ms for 10 minutes. Runbook: docs/operations.md, \"p95 latency\"."
  }

  conditions {
    display_name = "p95 total latency > ${var.latency_p95_threshold_ms} ms"
    condition_threshold {
      filter          = "${local.lb_filter} AND metric.type=\"loadbalancing.googleapis.com/https/total_latencies\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.latency_p95_threshold_ms
      duration        = "600s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_95"
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "ArchBuilder ${var.region_key}: dead-letter backlog"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = local.labels

  documentation {
    mime_type = "text/markdown"
    content   = "Messages are waiting in a dead-letter subscription of ${var.region_key}: an event failed ${var.max_delivery_attempts} times. Runbook: docs/operations.md, \"Dead-letter backlog\"."
  }

  conditions {
    display_name = "undelivered dead letters > 0"
    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=monitoring.regex.full_match(\"${local.prefix}-.*-dead-letter\") AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_MAX"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.subscription_id"]
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }
}

resource "google_monitoring_alert_policy" "ai_spend" {
  project               = var.project_id
  display_name          = "ArchBuilder ${var.region_key}: AI spend per day"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = local.labels

  documentation {
    mime_type = "text/markdown"
    content   = "AI providers cost more than ${var.ai_spend_daily_usd} USD over the last 24 hours in ${var.region_key}. Runbook: docs/operations.md, \"AI spend per day\"."
  }

  # The sum of a distribution metric over a day is easiest in PromQL: a log-based
  # distribution exposes _sum and _count series.
  conditions {
    display_name = "AI cost over 24 h > ${var.ai_spend_daily_usd} USD"
    condition_prometheus_query_language {
      query               = "sum(increase(logging_googleapis_com:user_${google_logging_metric.ai_cost.name}_sum[24h])) > ${var.ai_spend_daily_usd}"
      duration            = "0s"
      evaluation_interval = "300s"
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }
}

resource "google_monitoring_uptime_check_config" "health" {
  project      = var.project_id
  display_name = "ArchBuilder ${var.region_key}: /v1/health"
  timeout      = "10s"
  period       = "60s"

  http_check {
    path         = "/v1/health"
    port         = 443
    use_ssl      = true
    validate_ssl = true
    accepted_response_status_codes {
      status_value = 200
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project_id
      host       = var.hostname
    }
  }
}

resource "google_monitoring_alert_policy" "uptime" {
  project               = var.project_id
  display_name          = "ArchBuilder ${var.region_key}: health check failing"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = local.labels

  documentation {
    mime_type = "text/markdown"
    content   = "https://${var.hostname}/v1/health fails from more than one checker location. Runbook: docs/operations.md, \"Health check failing\"."
  }

  conditions {
    display_name = "/v1/health failing"
    condition_threshold {
      filter          = "resource.type=\"uptime_url\" AND metric.type=\"monitoring.googleapis.com/uptime_check/check_passed\" AND metric.labels.check_id=\"${google_monitoring_uptime_check_config.health.uptime_check_id}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "300s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
        group_by_fields      = ["resource.labels.host"]
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }
}
