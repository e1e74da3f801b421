# Secret Manager secrets: the containers only. Values are added out of band
# (docs/deploy.md, "Secrets"), so no secret ever passes through Terraform state or code.
# Replicas stay in the region's location: a tenant's region keeps its own keys.

resource "google_secret_manager_secret" "secret" {
  for_each  = toset(local.all_secrets)
  project   = var.project_id
  secret_id = "${local.prefix}-${each.value}"
  labels    = local.labels

  replication {
    user_managed {
      replicas {
        location = var.location
      }
    }
  }

  depends_on = [google_project_service.api]
}

locals {
  # Environment variable a secret is mounted as: the platform ones have fixed names,
  # the manifest ones follow the EnvironmentSecrets convention ARCHBUILDER_SECRET_<NAME>.
  secret_env = {
    for s in local.all_secrets : s => lookup(
      local.platform_secrets, s, "ARCHBUILDER_SECRET_${upper(replace(s, "-", "_"))}"
    )
  }
}

# API key of the region's smoke-test tenant (docs/deploy.md, "The first tenant"). Read
# by Cloud Build's smoke step only, never mounted into a function.
resource "google_secret_manager_secret" "smoke_api_key" {
  project   = var.project_id
  secret_id = "${local.prefix}-smoke-api-key"
  labels    = local.labels

  replication {
    user_managed {
      replicas {
        location = var.location
      }
    }
  }

  depends_on = [google_project_service.api]
}
