import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../core/index.ts';

/** What the machine offers, read from files the drivers leave (no model, no native module is loaded). */
export interface HostGpu {
  /** GPU names (NVIDIA: from the driver's /proc files; Apple silicon: its integrated GPU). */
  names: string[];
  /** The NVIDIA kernel driver's version when one is loaded, else null. */
  nvidiaDriver: string | null;
  metal: boolean;
}

export interface HostProbe {
  /** Where /proc is (tests point it at a folder of their own). */
  procRoot?: string;
  platform?: NodeJS.Platform;
  arch?: string;
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function nvidiaNames(procRoot: string): string[] {
  const folder = path.join(procRoot, 'driver/nvidia/gpus');
  let entries: string[];
  try {
    entries = readdirSync(folder).sort();
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const model = /^Model:\s*(.+)$/m.exec(read(path.join(folder, entry, 'information')) ?? '');
    return model?.[1] ? [model[1].trim()] : [];
  });
}

/** The GPUs node-llama-cpp and onnxruntime could use, found without loading either. */
export function probeHost(probe: HostProbe = {}): HostGpu {
  const procRoot = probe.procRoot ?? '/proc';
  const version = read(path.join(procRoot, 'driver/nvidia/version'));
  const nvidiaDriver = version === null ? null : (/Kernel Module\s+([\d.]+)/.exec(version)?.[1] ?? 'unknown');
  const metal = (probe.platform ?? process.platform) === 'darwin' && (probe.arch ?? process.arch) === 'arm64';
  const names = nvidiaDriver === null ? [] : nvidiaNames(procRoot);
  return { names: metal ? [...names, 'Apple silicon GPU'] : names, nvidiaDriver, metal };
}

export interface DeviceReport {
  gpus: string[];
  nvidiaDriver: string | null;
  /** node-llama-cpp (GGUF generators): the `models.gpu` asked for and the backend it is expected to pick. */
  llama: { asked: Config['models']['gpu']; expected: 'cuda' | 'metal' | 'vulkan' | 'cpu' };
  /** transformers.js (ONNX embedders and rerankers): the `models.device` asked for and the one expected. */
  transformers: { asked: Config['models']['device']; expected: 'cuda' | 'cpu' };
  note: string;
}

function expectedLlama(asked: Config['models']['gpu'], host: HostGpu): DeviceReport['llama']['expected'] {
  const cuda = host.nvidiaDriver !== null;
  if (asked === 'auto') return cuda ? 'cuda' : host.metal ? 'metal' : 'cpu';
  if (asked === 'cuda') return cuda ? 'cuda' : 'cpu';
  if (asked === 'metal') return host.metal ? 'metal' : 'cpu';
  return asked;
}

/**
 * The compute device each model backend is expected to use, from the config and the drivers
 * present. Expected, not observed: the backends decide when a model loads, and one that cannot
 * start its GPU falls back to the CPU with a warning in the log.
 */
export function describeDevice(models: Config['models'], host: HostGpu): DeviceReport {
  return {
    gpus: host.names,
    nvidiaDriver: host.nvidiaDriver,
    llama: { asked: models.gpu, expected: expectedLlama(models.gpu, host) },
    transformers: {
      asked: models.device,
      expected: models.device === 'cuda' && host.nvidiaDriver !== null ? 'cuda' : 'cpu',
    },
    note: 'Expected from the config and the drivers present; a backend that cannot start its GPU when a model loads uses the CPU and logs a warning',
  };
}
