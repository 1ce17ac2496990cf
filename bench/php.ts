// The PHP baseline: the same page from PHP 8.2 (php-fpm, 4 static children) behind nginx, both
// Debian packages, started here with their own configuration in a temporary folder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PhpServer {
  url: string;
  stop(): Promise<void>;
}

/** The php-fpm binary, or a sentence saying what to install. */
export function findPhp(): { fpm: string; nginx: string } | string {
  const fpm = readdirSync('/usr/sbin')
    .filter((name) => /^php-fpm[\d.]*$/.test(name))
    .sort()
    .at(-1);
  const nginx = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined;
  if (!fpm || !nginx)
    return (
      'PHP-FPM or nginx is missing: apt-get install -y php-fpm nginx ' +
      '(the bench does not install system packages itself)'
    );
  return { fpm: `/usr/sbin/${fpm}`, nginx };
}

/** Serves `html` from a PHP script behind nginx on 127.0.0.1. */
export async function startPhp(html: string): Promise<PhpServer> {
  const found = findPhp();
  if (typeof found === 'string') throw new Error(found);
  const dir = mkdtempSync(path.join(tmpdir(), 'pagewire-php-'));
  const port = await freePort();
  // The page is built by PHP on each request, as a PHP page would be.
  writeFileSync(
    path.join(dir, 'live.php'),
    [
      '<?php',
      "$name = $_GET['name'] ?? 'world';",
      `echo str_replace('Hello world', 'Hello ' . htmlspecialchars($name), ${phpString(html)});`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'php-fpm.conf'),
    [
      '[global]',
      `pid = ${dir}/php-fpm.pid`,
      `error_log = ${dir}/php-fpm.log`,
      'daemonize = no',
      '[www]',
      'user = nobody',
      'group = nogroup',
      `listen = ${dir}/php-fpm.sock`,
      'listen.mode = 0666',
      'pm = static',
      'pm.max_children = 4',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/nginx-error.log;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${dir}/body; fastcgi_temp_path ${dir}/fastcgi; proxy_temp_path ${dir}/proxy;` +
        ` uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
      '  server {',
      `    listen 127.0.0.1:${port};`,
      `    root ${dir};`,
      '    location = /live {',
      '      include /etc/nginx/fastcgi_params;',
      `      fastcgi_param SCRIPT_FILENAME ${dir}/live.php;`,
      `      fastcgi_pass unix:${dir}/php-fpm.sock;`,
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  spawnSync('chmod', ['755', dir]);
  const fpm = spawn(
    found.fpm,
    ['--fpm-config', path.join(dir, 'php-fpm.conf'), '--nodaemonize', '--allow-to-run-as-root'],
    { stdio: 'ignore' },
  );
  const nginx = spawn(found.nginx, ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const response = await fetch(`${url}/live`);
      if (response.ok && (await response.text()).includes('Hello')) break;
    } catch {
      // not up yet
    }
    if (i > 100) throw new Error(`PHP-FPM behind nginx did not answer; see ${dir}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    stop: async () => {
      await Promise.all([stop(nginx), stop(fpm)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGQUIT');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}

function phpString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
