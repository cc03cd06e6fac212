/**
 * The container and cluster files, checked by reading them: they parse, point at each other
 * correctly, and keep the promises the docs make — health checks, a drain that outlasts open
 * streams, streaming annotations, a non-root image. (The image and the compose stack are also
 * built and run, by test/container.test.ts and test/compose.test.ts; no cluster runs here.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { parseDuration } from '../src/config/index.ts';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

interface ComposeService {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  deploy?: { replicas?: number };
}

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml')) as {
    services: Record<string, ComposeService | undefined>;
  };
  const service = (name: string): ComposeService => {
    const found = compose.services[name];
    assert.ok(found, `compose.yaml has a ${name} service`);
    return found;
  };
  const sluice = service('sluice');
  const nginx = service('nginx');

  it('runs Sluice behind nginx with PostgreSQL and Redis, each with a health check', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [
      'nginx',
      'postgres',
      'redis',
      'sluice',
    ]);
    for (const [name, service] of Object.entries(compose.services)) {
      assert.ok(service?.healthcheck, `${name} has a healthcheck`);
    }
    assert.equal(sluice.build, '.');
    assert.equal(sluice.ports, undefined, 'Sluice is reached only through nginx');
    assert.deepEqual(sluice.depends_on, {
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    assert.deepEqual(nginx.depends_on, { sluice: { condition: 'service_healthy' } });
    assert.match(sluice.environment?.DATABASE_URL ?? '', /^postgres:\/\/.*@postgres:5432\//);
    assert.equal(sluice.environment?.REDIS_URL, 'redis://redis:6379');
  });

  it('mounts the committed, generated nginx.conf, which points at the sluice service', () => {
    assert.ok(nginx.volumes?.includes('./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro'));
    assert.match(read('deploy/nginx/nginx.conf'), /^\s+server sluice:8080;$/m);
  });

  it('trusts nginx for X-Forwarded-For, and documents the egress and relay settings', () => {
    assert.ok(sluice.environment?.SLUICE_TRUSTED_PROXIES);
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'BASE_URL', 'OPENAI_API_KEY']) {
      assert.ok(name in (sluice.environment ?? {}), name);
    }
  });

  it('gives open streams longer to drain than Sluice waits for them', () => {
    const drain = parseDuration(sluice.environment?.SLUICE_DRAIN_TIMEOUT ?? '') ?? 30_000;
    const grace = parseDuration(sluice.stop_grace_period ?? '') ?? 10_000;
    assert.ok(grace > drain, `stop_grace_period ${String(grace)} ms > drain ${String(drain)} ms`);
  });
});

describe('deploy/k8s', () => {
  const docs = ['deployment.yaml', 'service.yaml', 'ingress.yaml', 'kustomization.yaml'].flatMap(
    (file) =>
      parseAllDocuments(read(`deploy/k8s/${file}`)).map((d) => d.toJS() as Record<string, unknown>),
  );
  const byKind = (kind: string): unknown => docs.find((d) => d.kind === kind);

  it('a Deployment probing /healthz and /readyz, draining before it is killed', () => {
    const deployment = byKind('Deployment') as {
      spec: {
        template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
      };
    };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0] as {
      env: { name: string; value?: string }[];
      livenessProbe: { httpGet: { path: string } };
      readinessProbe: { httpGet: { path: string } };
      lifecycle: { preStop: { exec: { command: string[] } } };
    };
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    const drain = parseDuration(
      container.env.find((e) => e.name === 'SLUICE_DRAIN_TIMEOUT')?.value ?? '',
    );
    const preStop = Number(container.lifecycle.preStop.exec.command.at(-1)) * 1000;
    assert.ok(drain !== undefined && preStop > 0);
    assert.ok((pod.terminationGracePeriodSeconds as number) * 1000 > drain + preStop);
  });

  it('an ingress-nginx Ingress with the streaming annotations, to the Service', () => {
    const ingress = byKind('Ingress') as {
      metadata: { annotations: Record<string, string> };
      spec: { rules: { http: { paths: { backend: { service: { name: string } } }[] } }[] };
    };
    assert.deepEqual(ingress.metadata.annotations, {
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-body-size': '32m',
    });
    const service = byKind('Service') as { metadata: { name: string } };
    assert.equal(ingress.spec.rules[0]?.http.paths[0]?.backend.service.name, service.metadata.name);
    assert.match(read('deploy/k8s/ingress.yaml'), /nginx\.org\/proxy-buffering: "False"/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('builds on Node 24 in two stages and runs Sluice as the node user', () => {
    assert.deepEqual(
      [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]),
      ['node:24-slim', 'node:24-slim'],
    );
    assert.match(dockerfile, /^RUN npm run build$/m);
    assert.match(runtime, /RUN npm ci --omit=dev/);
    assert.match(runtime, /^USER node$/m);
    assert.match(runtime, /^EXPOSE 8080$/m);
    assert.match(runtime, /^HEALTHCHECK [\s\S]*\/healthz/m);
    assert.match(runtime, /HOST=0\.0\.0\.0/);
    assert.match(runtime, /SLUICE_DATA_DIR=\/data/);
    assert.match(runtime, /^CMD \["node", "bin\/sluice\.js", "serve"\]$/m);
  });

  it('copies nothing the build context leaves out', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const needed of ['src', 'bin', 'package.json', 'package-lock.json', 'web']) {
      assert.ok(!ignored.includes(needed), `${needed} is in the build context`);
    }
    assert.ok(ignored.includes('node_modules') && ignored.includes('.git'));
  });
});
