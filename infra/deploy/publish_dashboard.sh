#!/usr/bin/env bash
# Uploads the built dashboard (web/dist) to the stack's dashboard bucket and invalidates the
# CloudFront cache of index.html. Run after `sam deploy`:
#
#   make web && bash infra/deploy/publish_dashboard.sh <stack-name>
#
# Hashed files under assets/ are cached for a year; index.html is revalidated every time,
# so a new build is live as soon as this finishes.
set -euo pipefail

stack="${1:?usage: publish_dashboard.sh <stack-name>}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
dist="$root/web/dist"
test -f "$dist/index.html" || { echo "no build in $dist: run make web" >&2; exit 1; }

output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
bucket="$(output DashboardBucketName)"
distribution="$(output DashboardDistributionId)"

aws s3 sync "$dist/assets" "s3://$bucket/assets" \
  --cache-control "public, max-age=31536000, immutable"
aws s3 sync "$dist" "s3://$bucket" --exclude "assets/*" --cache-control "no-cache" --delete
aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/" "/index.html" \
  >/dev/null
echo "dashboard published: $(output DashboardUrl)"
