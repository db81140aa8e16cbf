#!/bin/sh
# nginx for deploy/compose.yml: the mounted template with its ${..._PORT} and ${..._HOST} variables filled in
# from the environment (only those: nginx's own $variables stay as they are).
set -eu
template="${NGINX_TEMPLATE:-/etc/nginx/intake.conf.template}"
[ -r "$template" ] || { echo "nginx-start: no template at $template" >&2; exit 1; }
variables="$(env | sed -n 's/^\([A-Z0-9_]*_\(PORT\|HOST\)\)=.*/${\1}/p' | tr '\n' ' ')"
envsubst "$variables" < "$template" > /tmp/nginx.conf
exec nginx -c /tmp/nginx.conf -e stderr -g 'daemon off;'
