import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/**
 * Builds hnswlib-node's C++ sources for this CPU (-march=native) into a cache folder. npm builds
 * the addon for a generic x86-64 (SSE only); the host build uses AVX/FMA, reads
 * Float32Array points directly instead of walking a JS array element by element (HierarchicalNSW
 * and BruteforceSearch), and inserts a batch of points on several threads (`cairnAddPoints`). The cache key
 * holds the CPU's flags, so a folder copied to another machine is never loaded there (an illegal
 * instruction cannot be caught).
 */
const PATCH_VERSION = 5;
const require = createRequire(import.meta.url);

export interface NativeBuildInfo {
  key: string;
  folder: string;
  addon: string;
}

export function hnswPackageDir(): string {
  return path.dirname(path.dirname(require.resolve('hnswlib-node')));
}

export function defaultNativeCacheDir(): string {
  return path.join(path.dirname(hnswPackageDir()), '.cache', 'cairn-hnsw');
}

function cpuSignature(): string {
  let flags = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    flags = /^flags\s*:(.*)$/m.exec(info)?.[1]?.trim() ?? '';
  } catch {
    flags = '';
  }
  return [os.cpus()[0]?.model ?? '', flags].join('|');
}

export function nativeBuildInfo(cacheDir = defaultNativeCacheDir()): NativeBuildInfo {
  const pkg = JSON.parse(readFileSync(path.join(hnswPackageDir(), 'package.json'), 'utf8')) as { version: string };
  const key = createHash('sha256')
    .update([PATCH_VERSION, pkg.version, process.platform, process.arch, process.versions.modules, cpuSignature()].join('\n'))
    .digest('hex')
    .slice(0, 16);
  const folder = path.join(cacheDir, key);
  return { key, folder, addon: path.join(folder, 'build', 'Release', 'addon.node') };
}

const READ_POINT = `
namespace {
// Cairn: a point is a Float32Array (copied in one memcpy) or a JS array of numbers.
bool cairnReadPoint(Napi::Env env, const Napi::Value& value, uint32_t dim, std::vector<float>& out) {
  if (value.IsTypedArray()) {
    Napi::TypedArray typed = value.As<Napi::TypedArray>();
    if (typed.TypedArrayType() != napi_float32_array || typed.ElementLength() != dim) {
      Napi::Error::New(env, "Invalid the given array length (expected " + std::to_string(dim) + " float32 values).")
        .ThrowAsJavaScriptException();
      return false;
    }
    Napi::Float32Array floats = value.As<Napi::Float32Array>();
    std::memcpy(out.data(), floats.Data(), dim * sizeof(float));
    return true;
  }
  Napi::Array arr = value.As<Napi::Array>();
  if (arr.Length() != dim) {
    Napi::Error::New(env, "Invalid the given array length (expected " + std::to_string(dim) + ", but got " +
                            std::to_string(arr.Length()) + ").")
      .ThrowAsJavaScriptException();
    return false;
  }
  for (uint32_t i = 0; i < dim; i++) {
    Napi::Value val = arr[i];
    out[i] = val.As<Napi::Number>().FloatValue();
  }
  return true;
}

// Cairn: asks Linux to back the graph's level-0 block (vectors and links, 1.7 GB at 1 M x 384) with
// 2 MB pages where transparent huge pages are on for madvised memory (the common default). An insert
// visits thousands of random nodes; with 4 KB pages nearly each visit also misses the TLB.
void cairnAdviseHugePages(void* memory, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t page = 4096;
  const uintptr_t start = (reinterpret_cast<uintptr_t>(memory) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(memory) + bytes) & ~(page - 1);
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
#else
  (void)memory;
  (void)bytes;
#endif
}

// Cairn: runs fn(row, scratch) for rows [start, end) on up to \`threads\` threads, each pulling the
// next row from a shared counter; the first exception stops the others and is rethrown here.
template <class Fn>
void cairnParallelRows(size_t start, size_t end, size_t threads, size_t dim, Fn fn) {
  if (threads <= 1 || end - start <= threads * 4) {
    std::vector<float> scratch(dim);
    for (size_t row = start; row < end; row++) fn(row, scratch);
    return;
  }
  std::atomic<size_t> next(start);
  std::exception_ptr failure = nullptr;
  std::mutex failureLock;
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; t++) {
    pool.emplace_back([&]() {
      std::vector<float> scratch(dim);
      for (size_t row = next.fetch_add(1); row < end; row = next.fetch_add(1)) {
        try {
          fn(row, scratch);
        } catch (...) {
          std::lock_guard<std::mutex> guard(failureLock);
          failure = std::current_exception();
          next = end;
          return;
        }
      }
    });
  }
  for (auto& worker : pool) worker.join();
  if (failure) std::rethrow_exception(failure);
}
} // namespace
`;

// Cairn: exact distances from a query to the stored points of some labels, computed with
// hnswlib's own (SIMD) distance; NaN for a label that is absent or deleted. Used when a filter
// allows so few labels that scoring them all beats walking the graph.
const DISTANCES_METHOD = `
  // Cairn: adds rows of a Float32Array (labels in a Float64Array) on several threads; hnswlib's
  // addPoint takes per-node locks, so concurrent inserts of distinct labels are safe. The first
  // point of an empty graph goes in alone, as it becomes the entry point.
  Napi::Value cairnAddPoints(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (index_ == nullptr) {
      Napi::Error::New(env, "Search index has not been initialized.").ThrowAsJavaScriptException();
      return env.Null();
    }
    if (info.Length() != 4 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
        !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        !info[2].IsNumber() || !info[3].IsBoolean()) {
      Napi::TypeError::New(env, "Expected a Float32Array of points, a Float64Array of labels, threads and replaceDeleted.")
        .ThrowAsJavaScriptException();
      return env.Null();
    }
    Napi::Float32Array data = info[0].As<Napi::Float32Array>();
    Napi::Float64Array labels = info[1].As<Napi::Float64Array>();
    const size_t rows = labels.ElementLength();
    if (data.ElementLength() != rows * dim_) {
      Napi::Error::New(env, "The points do not hold rows x dimensions values.").ThrowAsJavaScriptException();
      return env.Null();
    }
    const size_t threads = std::max<uint32_t>(1, info[2].As<Napi::Number>().Uint32Value());
    const bool replace = info[3].As<Napi::Boolean>().Value();
    const float* points = data.Data();
    const double* ids = labels.Data();
    const size_t dim = dim_;
    const bool normalize = normalize_;
    auto insert = [&](size_t row, std::vector<float>& scratch) {
      const float* point = points + row * dim;
      if (normalize) {
        std::memcpy(scratch.data(), point, dim * sizeof(float));
        normalizePoint(scratch);
        point = scratch.data();
      }
      index_->addPoint(point, static_cast<hnswlib::labeltype>(ids[row]), replace);
    };
    // Advice only: a failure (or a kernel without THP) leaves ordinary pages.
    cairnAdviseHugePages(index_->data_level0_memory_, index_->max_elements_ * index_->size_data_per_element_);
    try {
      size_t start = 0;
      if (rows > 0 && index_->cur_element_count == 0) {
        std::vector<float> scratch(dim);
        insert(0, scratch);
        start = 1;
      }
      cairnParallelRows(start, rows, threads, dim, insert);
    } catch (const std::exception& e) {
      Napi::Error::New(env, "Hnswlib Error: " + std::string(e.what())).ThrowAsJavaScriptException();
      return env.Null();
    }
    return env.Null();
  }

  Napi::Value cairnDistances(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (index_ == nullptr) {
      Napi::Error::New(env, "Search index has not been initialized.").ThrowAsJavaScriptException();
      return env.Null();
    }
    if (info.Length() != 2 || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      Napi::TypeError::New(env, "Expected a point and a Float64Array of labels.").ThrowAsJavaScriptException();
      return env.Null();
    }
    std::vector<float> vec(dim_, 0.0f);
    if (!cairnReadPoint(env, info[0], dim_, vec)) return env.Null();
    if (normalize_) normalizePoint(vec);
    Napi::Float64Array labels = info[1].As<Napi::Float64Array>();
    const size_t n = labels.ElementLength();
    Napi::Float32Array out = Napi::Float32Array::New(env, n);
    for (size_t i = 0; i < n; i++) {
      auto found = index_->label_lookup_.find(static_cast<hnswlib::labeltype>(labels[i]));
      if (found == index_->label_lookup_.end() || index_->isMarkedDeleted(found->second)) {
        out[i] = NAN;
        continue;
      }
      out[i] = index_->fstdistfunc_(vec.data(), index_->getDataByInternalId(found->second), index_->dist_func_param_);
    }
    return out;
  }

`;

function replaceAll(source: string, pattern: RegExp, replacement: string, expected: number): string {
  const count = source.match(pattern)?.length ?? 0;
  if (count !== expected) throw new Error(`hnswlib-node source changed: ${pattern} matched ${count} times, expected ${expected}`);
  return source.replace(pattern, replacement);
}

/** The stock addon.cc with typed-array input for addPoint and searchKnn (BruteforceSearch and HierarchicalNSW), and batch inserts. */
export function patchAddonSource(source: string): string {
  const marker = 'class BruteforceSearch : public Napi::ObjectWrap<BruteforceSearch> {';
  const at = source.indexOf(marker);
  if (at < 0) throw new Error('hnswlib-node source changed: BruteforceSearch class not found');
  let head = source.slice(0, at);
  let tail = source.slice(at);
  head =
    head.replace(
      '#include <cmath>',
      '#include <cmath>\n#include <cstring>\n#include <atomic>\n#include <exception>\n#include <mutex>\n#include <thread>\n#if defined(__linux__)\n#include <sys/mman.h>\n#endif',
    ) + READ_POINT;
  tail = replaceAll(tail, /if \(!info\[0\]\.IsArray\(\)\) \{/g, 'if (!info[0].IsArray() && !info[0].IsTypedArray()) {', 4);
  tail = replaceAll(
    tail,
    /Napi::Array arr = info\[0\]\.As<Napi::Array>\(\);\s*if \(arr\.Length\(\) != dim_\) \{[^}]*\}/g,
    'std::vector<float> cairn_in(dim_, 0.0f);\n    if (!cairnReadPoint(env, info[0], dim_, cairn_in)) return env.Null();',
    4,
  );
  tail = replaceAll(
    tail,
    /std::vector<float> vec\(dim_, 0\.0\);\s*for \(uint32_t i = 0; i < dim_; i\+\+\) \{\s*Napi::Value val = arr\[i\];\s*vec\[i\] = val\.As<Napi::Number>\(\)\.FloatValue\(\);\s*\}/g,
    'std::vector<float> vec(std::move(cairn_in));',
    4,
  );
  tail = replaceAll(tail, /(\n {2}Napi::Value getIdsList\(const Napi::CallbackInfo& info\) \{)/g, `\n${DISTANCES_METHOD}$1`, 1);
  tail = replaceAll(
    tail,
    /InstanceMethod\("getIdsList", &HierarchicalNSW::getIdsList\),/g,
    'InstanceMethod("getIdsList", &HierarchicalNSW::getIdsList),\n      InstanceMethod("cairnDistances", &HierarchicalNSW::cairnDistances),\n      InstanceMethod("cairnAddPoints", &HierarchicalNSW::cairnAddPoints),',
    1,
  );
  tail = replaceAll(
    tail,
    /HierarchicalNSW::Init\(env, exports\);/g,
    'HierarchicalNSW::Init(env, exports);\n  exports.Set("cairnTypedArrays", Napi::Boolean::New(env, true));',
    1,
  );
  return head + tail;
}

function bindingGyp(includeDir: string): string {
  const target = {
    target_name: 'addon',
    sources: ['src/addon.cc'],
    include_dirs: [includeDir],
    defines: ['NAPI_DISABLE_CPP_EXCEPTIONS'],
    'cflags!': ['-fno-exceptions'],
    'cflags_cc!': ['-fno-exceptions'],
    cflags_cc: ['-O3', '-march=native', '-mtune=native'],
  };
  return JSON.stringify({ targets: [target] }, null, 2);
}

/** node-gyp from the project, else the copy bundled with npm next to this node binary. */
function nodeGypScript(): string | null {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const prefix = path.dirname(path.dirname(process.execPath));
    const bundled = path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    return existsSync(bundled) ? bundled : null;
  }
}

function nodeDir(): string | null {
  const prefix = path.dirname(path.dirname(process.execPath));
  return existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

/** Compiles the host build; returns the addon path, or throws with the compiler's output. */
export function buildNativeHnsw(cacheDir = defaultNativeCacheDir(), log: (line: string) => void = () => {}): string {
  const info = nativeBuildInfo(cacheDir);
  if (existsSync(info.addon)) return info.addon;
  const work = `${info.folder}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.join(work, 'src'), { recursive: true });
  const pkgDir = hnswPackageDir();
  cpSync(path.join(pkgDir, 'src', 'hnswlib'), path.join(work, 'src', 'hnswlib'), { recursive: true });
  writeFileSync(path.join(work, 'src', 'addon.cc'), patchAddonSource(readFileSync(path.join(pkgDir, 'src', 'addon.cc'), 'utf8')));
  // node-addon-api is hnswlib-node's dependency: resolve it from there, as an absolute folder.
  const includeDir = path.dirname(createRequire(path.join(pkgDir, 'package.json')).resolve('node-addon-api'));
  writeFileSync(path.join(work, 'binding.gyp'), bindingGyp(includeDir));
  const script = nodeGypScript();
  if (!script) throw new Error('node-gyp was not found (it ships with npm)');
  const dir = nodeDir();
  const args = ['rebuild', '--release', ...(dir ? [`--nodedir=${dir}`] : [])];
  log(`building hnswlib for this CPU in ${work} (node-gyp ${args.join(' ')})`);
  const result = spawnSync(process.execPath, [script, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, CXXFLAGS: '-O3 -march=native', JOBS: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0 || !existsSync(path.join(work, 'build', 'Release', 'addon.node'))) {
    rmSync(work, { recursive: true, force: true });
    const output = `${result.error?.message ?? ''}\n${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim();
    throw new Error(`node-gyp failed: ${output.slice(-2000)}`);
  }
  rmSync(info.folder, { recursive: true, force: true });
  renameSync(work, info.folder);
  return info.addon;
}

// `npm run build:native` builds it once; searches then load it automatically.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const started = Date.now();
  try {
    const addon = buildNativeHnsw(process.argv[2] ?? defaultNativeCacheDir(), (line) => process.stderr.write(`${line}\n`));
    process.stderr.write(`built ${addon} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    process.stderr.write(`could not build the host hnswlib (the portable build stays in use): ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
