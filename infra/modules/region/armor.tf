# Cloud Armor in front of every backend service of the region.
#
# Rate-limit rules end evaluation when a request conforms, so one request meets one
# limit: requests that carry X-API-Key are counted per key (the Revit add-in shares
# office IPs, so a per-IP limit would throttle a whole office), all others per client
# IP. The API's own token buckets (services/rate_limits.py) still apply per key and per
# tenant behind this; Cloud Armor stops floods before they cost a function instance.

resource "google_compute_security_policy" "api" {
  project     = var.project_id
  name        = "${local.prefix}-api"
  description = "ArchBuilder ${var.region_key}: rate limits per API key and per IP, Log4j probe block"

  adaptive_protection_config {
    layer_7_ddos_defense_config {
      enable = true
    }
  }

  # Known exploit probes (Log4Shell JNDI lookups) never reach a function.
  rule {
    priority    = 900
    action      = "deny(403)"
    description = "CVE-2021-44228 / CVE-2021-45046 probes"
    match {
      expr {
        expression = "evaluatePreconfiguredExpr('cve-canary')"
      }
    }
  }

  rule {
    priority    = 1000
    action      = "throttle"
    description = "Per API key"
    match {
      expr {
        expression = "has(request.headers['x-api-key'])"
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "HTTP_HEADER"
      # Header names are matched case-insensitively.
      enforce_on_key_name = "X-API-Key"
      rate_limit_threshold {
        count        = var.armor_key_requests_per_minute
        interval_sec = 60
      }
    }
  }

  rule {
    priority    = 2000
    action      = "throttle"
    description = "Per client IP (requests without an API key)"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"
      rate_limit_threshold {
        count        = var.armor_ip_requests_per_minute
        interval_sec = 60
      }
    }
  }

  rule {
    priority    = 2147483647
    action      = "allow"
    description = "Default: allow"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }

  depends_on = [google_project_service.api]
}
