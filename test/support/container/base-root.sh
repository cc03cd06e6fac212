#!/bin/sh
# mmdebstrap customize hook: turns a minbase Debian root into a stand-in for the official
# node:24-slim image (which no registry here serves): this machine's pinned Node 24, npm, a
# `node` user of uid/gid 1000 as in the official image, and this machine's CA certificates, so
# that npm inside `podman build` trusts whatever TLS the registry is reached through.
#   base-root.sh ROOT NODE_BINARY NPM_TARBALL
set -eu
root=$1
node=$2
npm_tarball=$3

install -m 0755 "$node" "$root/usr/local/bin/node"

# npm as the official image lays it out: /usr/local/lib/node_modules/npm, linked from bin.
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$npm_tarball" --no-same-owner --strip-components=1 \
  -C "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

# Debian's update-ca-certificates set: the extra certificates and the bundle made from them.
mkdir -p "$root/usr/local/share/ca-certificates" "$root/etc/ssl/certs" "$root/usr/local/etc"
if [ -d /usr/local/share/ca-certificates ]; then
  cp -R /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
# npm's global config ($PREFIX/etc/npmrc, PREFIX=/usr/local).
printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nupdate-notifier=false\nfund=false\naudit=false\n' \
  >"$root/usr/local/etc/npmrc"
