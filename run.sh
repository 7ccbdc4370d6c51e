#!/usr/bin/env bash
# QcPipeline's one entry point:
#   ./run.sh JOB.yaml [--set PATH=VALUE ...] [--out DIR]   run a job
#   ./run.sh validate|graph|schema|stages ...              the CLI's other commands
#   ./run.sh serve JOB.yaml [--port 8080] [--bind ADDR]     serve the job over HTTP (see the README's service section)
#   ./run.sh test                                          the whole test suite
#   ./run.sh bench [NAME]                                  benchmarks (see BENCHMARKS.md)
#   ./run.sh docs                                          regenerate config/job.schema.json and the README reference
#   ./run.sh worker --cluster nats://HOST:4222             a worker of distributed jobs (JOB.yaml --cluster URL coordinates)
#   ./run.sh cluster-demo                                  a local nats-server, two workers and the demo site, in one command
#   ./run.sh fuzz NAME [SECONDS]                           fuzz a target under AFL++ (see FUZZING.md)
#   ./run.sh trace-viewer                                  a local trace viewer (the Aspire dashboard), no Docker
# It installs the Debian packages it needs (as root; otherwise it prints the command) and builds what
# changed. The job path and --out are taken from the folder you run it in.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# sshd serves the demo site and the tests (SSH itself is SSH.NET, a NuGet package). OpenCV comes with
# OpenCvSharp4's runtime package, whose library links GTK 3, libdrm and libatomic (ldd on a fresh Debian 12);
# no compiler is needed.
packages=(openssh-server openssh-client libgtk-3-0 libdrm2 libatomic1)
case "${1:-}" in
  test) packages+=(chromium libimage-exiftool-perl nats-server) ;;  # the run report is checked in a real browser; exiftool is the GPS oracle; the cluster tests start a real nats-server
  bench) packages+=(libimage-exiftool-perl sshfs fuse3 libturbojpeg0 wrk nats-server) ;;  # peers: sshfs + exiftool; libturbojpeg for the decode benchmark; wrk loads bench serve; bench cluster runs a nats-server
  fuzz) packages+=(afl++) ;;                         # coverage-guided fuzzing (SharpFuzz instruments the .NET side)
  cluster-demo) packages+=(nats-server) ;;
esac

need_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "run.sh: installing ${missing[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "run.sh: missing Debian packages; install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 2
  fi
}

need_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "run.sh: the .NET 10 SDK is needed (dotnet on PATH); see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
    exit 2
  fi
}

cli_dll="$here/engine/QcPipeline.Cli/bin/Release/net10.0/qcpipeline.dll"

# Build the CLI when a source file is newer than it (a no-op run costs no build).
build_cli() {
  if [ -f "$cli_dll" ] && [ -z "$(find "$here/engine" "$here/Directory.Build.props" "$here/Directory.Packages.props" \
        -newer "$cli_dll" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.jpg' \) \
        -not -path '*/obj/*' -not -path '*/bin/*' -print -quit)" ]; then
    return 0
  fi
  echo "run.sh: building…" >&2
  dotnet build "$here/engine/QcPipeline.Cli/QcPipeline.Cli.csproj" -c Release -nologo -v q -clp:ErrorsOnly >&2
}

run_tests() {
  local log
  log="$(mktemp)"
  set +e
  # Failed tests print their messages; passing ones stay quiet.
  dotnet test "$here/QcPipeline.sln" -c Release -nologo -v q -clp:ErrorsOnly --logger "console;verbosity=minimal" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  set -e
  # One closing line over all test projects, in the form CI reads.
  awk '/(Passed|Failed)!/ {
         for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
           if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
       END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
  rm -f "$log"
  return "$status"
}

need_dotnet
need_packages
case "${1:-}" in
  test)
    shift
    run_tests
    ;;
  docs)
    build_cli
    dotnet "$cli_dll" schema > "$here/config/job.schema.json"
    reference="$(mktemp)"
    dotnet "$cli_dll" stages --format markdown > "$reference"
    # Replace what stands between the README's markers with the generated reference.
    awk -v ref="$reference" '
      /<!-- reference:begin -->/ { print; while ((getline line < ref) > 0) print line; skip = 1; next }
      /<!-- reference:end -->/ { skip = 0 }
      !skip { print }' "$here/README.md" > "$reference.readme"
    mv "$reference.readme" "$here/README.md"
    rm -f "$reference"
    echo "run.sh: wrote config/job.schema.json and the README's reference" >&2
    ;;
  bench)
    shift
    dotnet build "$here/bench/QcPipeline.Bench/QcPipeline.Bench.csproj" -c Release -nologo -v q -clp:ErrorsOnly >&2
    exec dotnet "$here/bench/QcPipeline.Bench/bin/Release/net10.0/QcPipeline.Bench.dll" "$@"
    ;;
  trace-viewer)
    # The Aspire dashboard from NuGet (a self-contained build, version in Directory.Packages.props), restored once
    # into .tools/: OTLP in on 127.0.0.1:4317 (gRPC) and 4318 (HTTP), traces and metrics on 127.0.0.1:18888.
    viewer="$here/.tools/trace-viewer"
    dashboard="$(ls -d "$viewer"/packages/aspire.dashboard.sdk.linux-x64/*/tools 2>/dev/null | head -1 || true)"
    if [ ! -x "$dashboard/Aspire.Dashboard" ]; then
      mkdir -p "$viewer"
      printf '%s\n' '<Project Sdk="Microsoft.NET.Sdk">' '  <ItemGroup><PackageReference Include="Aspire.Dashboard.Sdk.linux-x64" /></ItemGroup>' '</Project>' \
        > "$viewer/trace-viewer.csproj"
      echo "run.sh: fetching the Aspire dashboard (about 38 MB, once)" >&2
      dotnet restore "$viewer/trace-viewer.csproj" --packages "$viewer/packages" -nologo -v q >&2
      dashboard="$(ls -d "$viewer"/packages/aspire.dashboard.sdk.linux-x64/*/tools | head -1)"
    fi
    echo "run.sh: trace viewer on http://127.0.0.1:18888 ; send traces with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317" >&2
    export ASPNETCORE_URLS=http://127.0.0.1:18888 ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:4317 \
      ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://127.0.0.1:4318 ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true
    exec "$dashboard/Aspire.Dashboard"
    ;;
  cluster-demo)
    shift
    build_cli
    exec dotnet "$cli_dll" cluster-demo --job "$here/pipelines/site-scan.yaml" "$@"
    ;;
  fuzz)
    shift
    name="${1:?usage: ./run.sh fuzz NAME [SECONDS] (targets: fuzz/QcPipeline.Fuzz/Targets)}"
    seconds="${2:-600}"
    corpus="$here/fuzz/corpus/$name"
    [ -d "$corpus" ] || { echo "run.sh: no corpus folder fuzz/corpus/$name" >&2; exit 2; }
    tools="$here/.tools"
    [ -x "$tools/sharpfuzz" ] || dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >&2
    # A fresh publish each time: sharpfuzz rewrites the assemblies it instruments.
    publish="$here/fuzz/QcPipeline.Fuzz/bin/publish"
    rm -rf "$publish"
    dotnet publish "$here/fuzz/QcPipeline.Fuzz/QcPipeline.Fuzz.csproj" -c Release -o "$publish" -nologo -v q -clp:ErrorsOnly >&2
    # Each target names the assemblies that hold the code it tests (FuzzTarget.Instrumented).
    instrumented="$(dotnet "$publish/qcpipeline-fuzz.dll" --instrument "$name")" || { echo "run.sh: no fuzz target $name" >&2; exit 2; }
    for dll in $instrumented; do "$tools/sharpfuzz" "$publish/$dll" >&2; done
    findings="$here/fuzz/findings/$name"
    mkdir -p "$findings"
    echo "run.sh: fuzzing $name for $seconds s; findings in fuzz/findings/$name" >&2
    AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
      afl-fuzz -i "$corpus" -o "$findings" -t 10000 -m none -V "$seconds" -- dotnet "$publish/qcpipeline-fuzz.dll" "$name" >&2 || true
    stats="$findings/default/fuzzer_stats"
    [ -f "$stats" ] || { echo "run.sh: afl-fuzz wrote no statistics" >&2; exit 1; }
    awk -F' *: *' '$1 ~ /^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|run_time)$/ { printf "%s: %s\n", $1, $2 }' "$stats"
    ls "$findings/default/crashes" 2>/dev/null | grep -v README | sed 's|^|crash: fuzz/findings/'"$name"'/default/crashes/|' || true
    ;;
  *)
    build_cli
    exec dotnet "$cli_dll" "$@"
    ;;
esac
