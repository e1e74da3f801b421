# ArchBuilder Cloud: one region stack per data-residency region.
#
# Environments: one Google Cloud project per environment (dev, prod), and one Terraform
# workspace per environment and region, named <environment>-<region> (dev-eu, prod-us...).
# Each workspace is its own state object in the GCS backend, so Cloud Build can plan and
# apply the regions in parallel without sharing a state lock, and a failed apply in one
# region leaves the others untouched. A run selects its region with
#   terraform workspace select -or-create prod-eu
#   terraform apply -var-file=infra/env/prod.tfvars -var='deploy_regions=["eu"]' ...
# (cloudbuild.yaml does exactly this; infra/README.md explains the layout).

provider "google" {
  project = var.project_id
  default_labels = {
    app         = "archbuilder"
    environment = var.environment
    managed_by  = "terraform"
  }
}

locals {
  # The regions this run manages.
  active_regions = {
    for key, region in var.regions : key => region
    if var.deploy_regions == null || contains(coalesce(var.deploy_regions, []), key)
  }
}

# Guards against applying one environment's variables to another's state: the
# workspace must be "<environment>-<region>" for the single region of the run
# (or "default" with every region, for a local all-in-one state).
resource "terraform_data" "workspace_guard" {
  input = terraform.workspace

  lifecycle {
    precondition {
      # join(): with several regions the name can never match, so the check fails
      # (HCL evaluates both branches of a conditional, so no one() here).
      condition = (
        terraform.workspace == "default"
        ? var.deploy_regions == null
        : terraform.workspace == "${var.environment}-${join(",", sort(keys(local.active_regions)))}"
      )
      error_message = "Workspace ${terraform.workspace} does not match environment ${var.environment} and deploy_regions; use workspace <environment>-<region> with deploy_regions = [\"<region>\"]."
    }
  }
}

module "region" {
  source   = "./infra/modules/region"
  for_each = local.active_regions

  project_id      = var.project_id
  environment     = var.environment
  region_key      = each.key
  location        = each.value.location
  backup_location = each.value.backup_location
  hostname        = "${each.key}.${var.domain}"

  # The manifest and the index catalogue are read, not copied: the functions, their
  # triggers, routes and secrets, and the composite indexes follow the repository.
  manifest_path          = "${path.root}/functions/manifest.yaml"
  firestore_indexes_path = "${path.root}/firestore.indexes.json"
  bundle_dir             = "${path.root}/${var.bundle_dir}"

  log_level          = var.log_level
  max_instances      = var.max_instances
  min_instances      = var.min_instances
  alert_emails       = var.alert_emails
  ai_spend_daily_usd = var.ai_spend_daily_usd
  ocr_image          = var.ocr_image
}
