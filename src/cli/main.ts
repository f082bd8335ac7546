#!/usr/bin/env node
// memlens's command line. Subcommands are imported only when run, so `memlens ps` never loads
// what `inspect` needs. This file alone prints errors and sets the exit code.
import { Command, CommanderError, Option } from 'commander';
import { ProcParseError, ProcReadError } from '../procfs/errors.js';
import { RuntimeError, UsageError } from './errors.js';
import { printText } from './render/terminal.js';

const program = new Command()
  .name('memlens')
  .description("What is real in a Linux process's memory: RSS, PSS, USS, swap and every region, explained.")
  .version('0.1.0')
  .addOption(
    new Option('--root <dir>', 'read a captured proc/sys tree instead of the live machine').hideHelp(),
  )
  .option('--debug', 'print stack traces of errors')
  .showSuggestionAfterError(true)
  .exitOverride()
  .configureOutput({ writeErr: () => {} });

program
  .command('ps')
  .description('every process with its real memory: RSS, PSS, USS, swap, %MEM and oom_score')
  .option('--sort <column>', 'pid, user, name, vsz, rss, pss, uss, shr, swap, mem or oom', 'pss')
  .option('--top <n>', 'only the first N rows')
  .option('--user <name>', 'only processes of this user (name or uid)')
  .option('--name <pattern>', 'only processes whose name contains this text, or matches /regex/')
  .option('--group', 'one row per program, adding up its processes (like ps_mem)')
  .option('--json', 'print the documented JSON instead of a table')
  .action(async (opts, cmd) => (await import('./commands/ps.js')).runPs(opts, cmd.optsWithGlobals()));

program
  .command('inspect')
  .description('one process explained: where its memory is, by category, and what its layout means')
  .argument('<pid|name>', 'a process id, or a name that matches one process')
  .option('--all', 'when a name matches several processes, inspect each of them')
  .option(
    '--runtime-url <url>',
    "a Go service's expvar URL (…/debug/vars): its heap figures beside the kernel's",
  )
  .option('--json', 'print the documented JSON instead of text')
  .action(async (target, opts, cmd) =>
    (await import('./commands/inspect.js')).runInspect(target, opts, cmd.optsWithGlobals()),
  );

program
  .command('maps')
  .description('every memory region of a process, with its real figures (like pmap -X)')
  .argument('<pid>', 'a process id')
  .option('--sort <column>', 'address, size, rss, pss, private, swap or category', 'address')
  .option('--category <name>', 'only regions of this category')
  .option('--top <n>', 'only the first N rows')
  .option('--json', 'print the documented JSON instead of a table')
  .action(async (pid, opts, cmd) =>
    (await import('./commands/maps.js')).runMaps(pid, opts, cmd.optsWithGlobals()),
  );

program
  .command('watch')
  .description('memory over time: a leak verdict with its evidence, and the time left until the limit')
  .argument('<pid|name>', 'a process id, or a name (every matching process is watched, and their sum)')
  .option('--interval <duration>', 'time between samples', '1s')
  .option('--duration <duration>', 'stop after this long (e.g. 60s, 5m)')
  .option('--count <n>', 'stop after N samples')
  .option(
    '--diff-every <duration>',
    'every so often (e.g. 5m), take a full snapshot and say what grew since the last',
  )
  .option('--json', 'print NDJSON: one line per sample, verdict changes and a final line')
  .action(async (target, opts, cmd) =>
    (await import('./commands/watch.js')).runWatch(target, opts, cmd.optsWithGlobals()),
  );

program
  .command('oom')
  .description('who the OOM killer will take, in which order, how close each cgroup is, and past kills')
  .option('--cgroup <path>', 'only this memory cgroup (as /proc/PID/cgroup shows it) and its processes')
  .option('--top <n>', 'rows of each kill order in the table (default 15)')
  .option('--json', 'print the documented JSON instead of text')
  .action(async (opts, cmd) => (await import('./commands/oom.js')).runOom(opts, cmd.optsWithGlobals()));

program
  .command('snapshot')
  .description("one process's memory (inspect and every region) saved as JSON, for memlens diff")
  .argument('<pid|name>', 'a process id, or a name that matches one process')
  .option('-o, --output <file>', 'write to this file (atomically) instead of stdout')
  .option('--json', 'the snapshot is JSON anyway; with -o, print nothing else')
  .action(async (target, opts, cmd) =>
    (await import('./commands/snapshot.js')).runSnapshot(target, opts, cmd.optsWithGlobals()),
  );

program
  .command('diff')
  .description('what changed between two snapshots: totals, categories, regions and thread stacks')
  .argument('<a.json>', 'the earlier snapshot')
  .argument('<b.json>', 'the later snapshot')
  .option('--all', 'list every region that changed, however little')
  .option('--json', 'print the documented JSON instead of text')
  .action(async (a, b, opts, cmd) =>
    (await import('./commands/diff.js')).runDiff(a, b, opts, cmd.optsWithGlobals()),
  );

program
  .command('demo')
  .description('the lessons of virtual memory as live experiments on this kernel (no name: list them)')
  .argument('[name]', 'the demo to run (none: list them)')
  .option('--size <size>', "scale the demo, e.g. 16M, 500M, 1G (each demo's default is in the list)")
  .option('--pause', 'wait for Enter after each step, to inspect the helper from another terminal')
  .option('--thp', 'reserve: ask for transparent huge pages (MADV_HUGEPAGE)')
  .option('--json', 'print the steps and numbers as JSON')
  .action(async (name, opts, cmd) =>
    (await import('./commands/demo.js')).runDemoCommand(name, opts, cmd.optsWithGlobals()),
  );

program
  .command('serve')
  .description('the always-on view: sampling, history, dashboard, JSON API and Prometheus /metrics')
  .option('--port <port>', 'TCP port (0: any free port)', '9105')
  .option('--host <address>', 'address to bind; any but loopback needs a token', '127.0.0.1')
  .option('--db <file>', 'history database (default: $XDG_STATE_HOME/memlens/history.db)')
  .option('--interval <duration>', 'time between samples', '1s')
  .option('--metrics-top <n>', 'processes (by PSS) with their own /metrics series', '20')
  .option('--token <token>', 'require this token on every request (or set MEMLENS_TOKEN)')
  .option('--no-auth', 'serve a non-loopback address without a token (anyone who reaches it can read it)')
  .action(async (opts, cmd) => (await import('./commands/serve.js')).runServe(opts, cmd.optsWithGlobals()));

function describe(err: unknown): { message: string; code: number } {
  if (err instanceof UsageError || err instanceof RuntimeError)
    return { message: err.message, code: err.exitCode };
  if (err instanceof CommanderError && err.code === 'commander.unknownOption') {
    // "memlens inspect -5": commander sees an option; the user meant a (bad) PID.
    const negative = /'(-\d+)'/.exec(err.message);
    if (negative)
      return { message: `"${negative[1]}" is not a PID: PIDs are whole numbers from 1 to 4194304`, code: 2 };
  }
  if (err instanceof CommanderError) {
    // Commander's own messages start with "error: " and put "(Did you mean ...?)" on a line of
    // its own; keep ours one plain line (the sanitizer would show that break as \x0a).
    const message = err.message.replace(/^error: /, '').replace(/\n\(Did you mean /, ' (did you mean ');
    return { message, code: err.exitCode === 0 ? 0 : 2 };
  }
  if (err instanceof ProcReadError) {
    const hint = err.code === 'E_PERMISSION' ? ': run as root or as the process owner' : '';
    return { message: `${err.message}${hint}`, code: 1 };
  }
  if (err instanceof ProcParseError) {
    return { message: `${err.message} (please report this with the file attached)`, code: 1 };
  }
  return {
    message: `internal error: ${(err as Error)?.message ?? String(err)} (rerun with --debug)`,
    code: 1,
  };
}

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (
      err instanceof CommanderError &&
      (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
    ) {
      return 0;
    }
    if (err instanceof CommanderError && err.code === 'commander.help') {
      if (err.exitCode === 0) return 0;
      // No command given: commander's help is written to the suppressed writeErr, so print it
      // here; not saying what to do is a usage error.
      printText(null, () => program.helpInformation(), process.stderr);
      return 2;
    }
    const { message, code } = describe(err);
    if (code === 0) return 0;
    // Messages quote what the user typed and what processes are named: one line, escaped.
    printText(message, (m) => `memlens: ${m}\n`, process.stderr);
    if (argv.includes('--debug') && err instanceof Error && err.stack) {
      const stack = err.stack;
      printText(null, () => `${stack}\n`, process.stderr);
    }
    return code;
  }
}

// Output to a closed pipe (memlens ps | head) is not an error worth a trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv);
