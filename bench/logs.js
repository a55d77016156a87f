/**
 * log-analysis template mining: lines per second through Drain with masking on, on one
 * core, over SSH log lines shaped like Loghub's SSH log (the log Drain3's published
 * figures use); also without masking, and the memory it keeps against the lines it saw.
 */
const USERS = [
  'root',
  'admin',
  'test',
  'oracle',
  'guest',
  'ubuntu',
  'postgres',
  'webmaster',
  'pi',
  'git',
  'user1',
  'ftp',
];
const HOSTS = [
  'ns.marryaldkfaczcz.com',
  'host-187-85-136-43.example.net',
  'static.vnpt.vn',
  'ip-10-0-0-12.ec2.internal',
];
function rnd(n, seed) {
  return ((seed * 2654435761) >>> 0) % n;
}
export function sshLine(i) {
  const ip = `${rnd(223, i) + 1}.${rnd(255, i * 3)}.${rnd(255, i * 7)}.${rnd(254, i * 11) + 1}`;
  const pid = 20000 + rnd(9000, i * 13);
  const port = 1024 + rnd(60000, i * 17);
  const user = USERS[rnd(USERS.length, i * 19)];
  const ts = `Dec ${10 + rnd(20, i)} ${String(rnd(24, i * 5)).padStart(2, '0')}:${String(rnd(60, i * 23)).padStart(2, '0')}:${String(rnd(60, i * 29)).padStart(2, '0')}`;
  const head = `${ts} LabSZ sshd[${pid}]:`;
  switch (rnd(10, i * 31)) {
    case 0:
      return `${head} Failed password for ${user} from ${ip} port ${port} ssh2`;
    case 1:
      return `${head} Failed password for invalid user ${user} from ${ip} port ${port} ssh2`;
    case 2:
      return `${head} Invalid user ${user} from ${ip}`;
    case 3:
      return `${head} input_userauth_request: invalid user ${user} [preauth]`;
    case 4:
      return `${head} pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`;
    case 5:
      return `${head} Received disconnect from ${ip}: 11: Bye Bye [preauth]`;
    case 6:
      return `${head} Connection closed by ${ip} [preauth]`;
    case 7:
      return `${head} reverse mapping checking getaddrinfo for ${HOSTS[rnd(HOSTS.length, i)]} [${ip}] failed - POSSIBLE BREAK-IN ATTEMPT!`;
    case 8:
      return `${head} pam_unix(sshd:auth): check pass; user unknown`;
    default:
      return `${head} Accepted password for ${user} from ${ip} port ${port} ssh2`;
  }
}

export async function logsBench({ lines = 1_000_000, rounds = 5 } = {}) {
  const { Drain } = await import('../dist/analysis/drain.js');
  const input = Array.from({ length: lines }, (_, i) => sshLine(i));
  const results = [];
  for (let r = 0; r < rounds; r++) {
    for (const mask of [true, false]) {
      globalThis.gc?.();
      const before = process.memoryUsage().heapUsed;
      const drain = new Drain({ mask });
      const t = performance.now();
      for (const line of input) drain.add(line);
      const ms = performance.now() - t;
      const heapMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
      results.push({ mask, rate: (lines / ms) * 1000, templates: drain.templates.length, heapMiB });
      console.log(
        `  round ${r + 1} ${mask ? 'masking on ' : 'masking off'}: ${Math.round((lines / ms) * 1000)} lines/s, ${drain.templates.length} templates`,
      );
    }
  }
  const median = (mask) =>
    results
      .filter((x) => x.mask === mask)
      .map((x) => x.rate)
      .sort((a, b) => a - b)[Math.floor(rounds / 2)];
  const { Drain: D } = await import('../dist/analysis/drain.js');
  // Memory: templates stay put as lines grow tenfold.
  const grow = [];
  for (const n of [100_000, 1_000_000]) {
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    const d = new D();
    for (let i = 0; i < n; i++) d.add(sshLine(i + 7));
    globalThis.gc?.();
    grow.push({
      n,
      templates: d.templates.length,
      retainedKiB: Math.max(0, (process.memoryUsage().heapUsed - before) / 1024),
    });
  }
  return { masked: median(true), unmasked: median(false), templates: results[0].templates, grow };
}

if (process.argv[2] === 'run') {
  const r = await logsBench({ lines: Number(process.argv[3] ?? 1_000_000), rounds: Number(process.argv[4] ?? 5) });
  console.log(JSON.stringify(r));
}
