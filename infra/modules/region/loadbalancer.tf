# Public entry of the region: a global external Application Load Balancer at
# https://<hostname>, one serverless NEG and backend service per HTTP function, and a
# URL map built from the manifest's route templates.

resource "google_compute_global_address" "api" {
  project = var.project_id
  name    = "${local.prefix}-api"

  depends_on = [google_project_service.api]
}

resource "google_compute_managed_ssl_certificate" "api" {
  project = var.project_id
  # The name carries the hostname's hash: a new hostname creates a new certificate
  # before the old one is dropped (create_before_destroy).
  name = "${local.prefix}-api-${substr(sha256(var.hostname), 0, 8)}"

  managed {
    domains = [var.hostname]
  }

  lifecycle {
    create_before_destroy = true
  }
}

# TLS 1.2+ with the modern cipher suites only.
resource "google_compute_ssl_policy" "api" {
  project         = var.project_id
  name            = "${local.prefix}-tls"
  profile         = "RESTRICTED"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_region_network_endpoint_group" "fn" {
  for_each              = local.http_functions
  project               = var.project_id
  name                  = "${local.prefix}-${each.value.slug}"
  region                = var.location
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  }
}

resource "google_compute_backend_service" "fn" {
  for_each              = local.http_functions
  project               = var.project_id
  name                  = "${local.prefix}-${each.value.slug}"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.api.id

  backend {
    group = google_compute_region_network_endpoint_group.fn[each.key].id
  }

  # Every request in Cloud Logging with its status and latency (the load balancer's
  # view, including requests Cloud Armor refused).
  log_config {
    enable      = true
    sample_rate = 1.0
  }
}

resource "google_compute_url_map" "api" {
  project         = var.project_id
  name            = "${local.prefix}-api"
  default_service = google_compute_backend_service.fn[var.default_function].id

  host_rule {
    hosts        = [var.hostname]
    path_matcher = "api"
  }

  path_matcher {
    name            = "api"
    default_service = google_compute_backend_service.fn[var.default_function].id

    # Ascending priority = the manifest's precedence (more literal segments first,
    # then longer templates); see infra/modules/manifest. `*` is one segment; the load
    # balancer's `**` also matches zero segments, which only widens a template to the
    # prefix the same function already serves.
    dynamic "route_rules" {
      for_each = module.manifest.routes
      content {
        priority = route_rules.value.priority
        service  = google_compute_backend_service.fn[route_rules.value.function].id

        match_rules {
          full_path_match     = route_rules.value.wildcard ? null : route_rules.value.template
          path_template_match = route_rules.value.wildcard ? route_rules.value.template : null
        }
      }
    }
  }
}

resource "google_compute_target_https_proxy" "api" {
  project          = var.project_id
  name             = "${local.prefix}-api"
  url_map          = google_compute_url_map.api.id
  ssl_certificates = [google_compute_managed_ssl_certificate.api.id]
  ssl_policy       = google_compute_ssl_policy.api.id
}

resource "google_compute_global_forwarding_rule" "https" {
  project               = var.project_id
  name                  = "${local.prefix}-https"
  target                = google_compute_target_https_proxy.api.id
  ip_address            = google_compute_global_address.api.id
  port_range            = "443"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  labels                = local.labels
}

# Port 80 only redirects to HTTPS (no API call is ever served in clear text).
resource "google_compute_url_map" "redirect" {
  project = var.project_id
  name    = "${local.prefix}-http-redirect"

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "redirect" {
  project = var.project_id
  name    = "${local.prefix}-http-redirect"
  url_map = google_compute_url_map.redirect.id
}

resource "google_compute_global_forwarding_rule" "http" {
  project               = var.project_id
  name                  = "${local.prefix}-http"
  target                = google_compute_target_http_proxy.redirect.id
  ip_address            = google_compute_global_address.api.id
  port_range            = "80"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  labels                = local.labels
}
