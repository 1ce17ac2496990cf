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
    return 'PHP-FPM or nginx is missing: apt-get install -y php-fpm nginx (the bench does not install system packages itself)';
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
    `<?php\n$name = $_GET['name'] ?? 'world';\necho str_replace('Hello world', 'Hello ' . htmlspecialchars($name), ${phpString(html)});\n`,
  );
  writeFileSync(
    path.join(dir, 'php-fpm.conf'),
    `[global]\npid = ${dir}/php-fpm.pid\nerror_log = ${dir}/php-fpm.log\ndaemonize = no\n[www]\nuser = nobody\ngroup = nogroup\nlisten = ${dir}/php-fpm.sock\nlisten.mode = 0666\npm = static\npm.max_children = 4\n`,
  );
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx-error.log;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/body; fastcgi_temp_path ${dir}/fastcgi; proxy_temp_path ${dir}/proxy; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;\n  server {\n    listen 127.0.0.1:${port};\n    root ${dir};\n    location = /live {\n      include /etc/nginx/fastcgi_params;\n      fastcgi_param SCRIPT_FILENAME ${dir}/live.php;\n      fastcgi_pass unix:${dir}/php-fpm.sock;\n    }\n  }\n}\n`,
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
