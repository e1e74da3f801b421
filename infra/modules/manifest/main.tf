# Reads functions/manifest.yaml and derives everything the region module creates per
# function: triggers, Pub/Sub topics and subscriptions, secrets and load-balancer routes.
#
# This module is pure (no providers, no resources): tests/infra evaluates it with
# `terraform apply` in a scratch directory, offline, and compares its outputs with the
# Python manifest loader, so Terraform and the dev server cannot disagree about what
# runs where.

variable "manifest_path" {
  description = "Path of functions/manifest.yaml"
  type        = string
}

locals {
  raw = yamldecode(file(var.manifest_path))

  # One normalised object per function. Optional manifest keys get the same defaults as
  # shared/archbuilder/manifest.py (FunctionSpec).
  functions = {
    for f in local.raw.functions : f.name => {
      name        = f.name
      entry_point = f.entry_point
      # Cloud Run service names (which gen2 functions become) allow no underscores.
      slug            = replace(f.name, "_", "-")
      trigger_type    = f.trigger.type
      routes          = f.trigger.type == "http" ? tolist(f.trigger.routes) : tolist([])
      topics          = f.trigger.type == "pubsub" ? tolist(try(f.trigger.topics, [f.trigger.topic])) : tolist([])
      bucket          = f.trigger.type == "storage" ? f.trigger.bucket : null
      storage_event   = f.trigger.type == "storage" ? try(f.trigger.event, "finalized") : null
      memory          = try(f.memory, "256Mi")
      timeout_s       = try(f.timeout_s, 60)
      max_event_age_s = try(f.max_event_age_s, null)
      max_instances   = try(f.max_instances, null)
      secrets         = tolist(try(f.secrets, []))
    }
  }

  http_functions    = { for k, f in local.functions : k => f if f.trigger_type == "http" }
  pubsub_functions  = { for k, f in local.functions : k => f if f.trigger_type == "pubsub" }
  storage_functions = { for k, f in local.functions : k => f if f.trigger_type == "storage" }

  # One push subscription per (function, topic): a function may listen to several topics
  # (billing_worker reads billing-events and usage-events).
  subscriptions = merge([
    for k, f in local.pubsub_functions : {
      for t in f.topics : "${f.slug}--${t}" => { function = k, topic = t }
    }
  ]...)

  # Topics the functions consume. Producers publish to these same names.
  topics = sort(distinct([for s in values(local.subscriptions) : s.topic]))

  storage_buckets = sort(distinct([for f in values(local.storage_functions) : f.bucket]))

  secrets = sort(distinct(flatten([for f in values(local.functions) : f.secrets])))

  # Load-balancer route rules. The manifest's rule is "the template with more literal
  # segments wins, then the longer template" (Manifest.route_for); URL-map route rules
  # are tried in ascending priority, so sorting on that key gives the same winner.
  route_list = flatten([
    for k, f in local.http_functions : [
      for r in f.routes : {
        function = k
        template = r
        literals = length([for s in split("/", trim(r, "/")) : s if s != "*" && s != "**"])
        wildcard = length([for s in split("/", trim(r, "/")) : s if s == "*" || s == "**"]) > 0
      }
    ]
  ])
  # Zero-padded so that lexical order is numeric order; the template breaks ties and
  # makes the key unique (a template served by two functions fails here, loudly).
  route_by_key = {
    for r in local.route_list :
    format("%03d/%04d/%s", 999 - r.literals, 9999 - length(r.template), r.template) => r
  }
  routes = [
    for i, key in sort(keys(local.route_by_key)) : merge(local.route_by_key[key], {
      priority = (i + 1) * 10
    })
  ]
}

output "functions" {
  description = "Every function of the manifest, normalised, by name"
  value       = local.functions
}

output "http_functions" {
  description = "Functions behind the load balancer"
  value       = local.http_functions
}

output "pubsub_functions" {
  description = "Functions fed by a Pub/Sub push subscription"
  value       = local.pubsub_functions
}

output "storage_functions" {
  description = "Functions fed by an Eventarc Cloud Storage trigger"
  value       = local.storage_functions
}

output "subscriptions" {
  description = "Push subscriptions: key => {function, topic}"
  value       = local.subscriptions
}

output "topics" {
  description = "Pub/Sub topics the functions consume"
  value       = local.topics
}

output "storage_buckets" {
  description = "Logical bucket names that storage triggers watch"
  value       = local.storage_buckets
}

output "secrets" {
  description = "Secret names the functions mount"
  value       = local.secrets
}

output "routes" {
  description = "Load-balancer route rules in priority order"
  value       = local.routes
}

output "has_maintenance" {
  description = "Whether the manifest declares the maintenance function (Cloud Scheduler feeds it)"
  value       = contains(keys(local.functions), "maintenance")
}
