#!/usr/bin/env python3
"""Renders the original assisted-swarm manifest templates (Jinja2) for one
single-node cluster in the order the original applies them, as one
multi-document YAML on stdout. Usage: render_templates.py MANIFEST_DIR CLUSTER_ID"""
import base64
import json
import os
import sys

import jinja2

d, cid = sys.argv[1], sys.argv[2]
env = jinja2.Environment(loader=jinja2.FileSystemLoader(d))
pull = json.dumps({"auths": {"cloud.openshift.com": {"auth": "dXNlcjpwYXNzd29yZA==",
                                                     "email": "swarm@example.com"}}},
                  separators=(',', ':'))
common = dict(cluster_identifier=cid, single_node=True, just_infraenv=False, with_nmstate=True,
              infraenv_labels={}, machine_network='10.123.0.0/16', api_vip='10.123.255.253',
              ingress_vip='10.123.255.254', num_control_plane=1, num_workers=0,
              ssh_pub_key='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKey swarm@example.com',
              release_image='quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64',
              pull_secret_b64=base64.b64encode(pull.encode()).decode())
docs = []
for t in ['namespace', 'secret_pull', 'infraenv', 'agentclusterinstall', 'clusterdeployment',
          'clusterimageset', 'nmstate']:
    docs.append(env.get_template(t + '.yaml.j2').render(**common))
for j in range(1):
    host = dict(common, agent_identifier='%s-%d' % (cid, j), role='master',
                mac_address='00:00:00:00:00:%02x' % j)
    docs.append(env.get_template('baremetalhost.yaml.j2').render(**host))
    docs.append(env.get_template('secret_bmh.yaml.j2').render(**host))
print('\n---\n'.join(docs))
