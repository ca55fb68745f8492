#!/usr/bin/env bash
# Fetches the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64) with dotnet and links it at
# .tools/bicep, where the infra tests look first. A user's machine can instead have `bicep` or
# `az bicep` on PATH. Idempotent: an existing .tools/bicep of the pinned version is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${BICEP_VERSION:-0.49.2}"
PACKAGE="Azure.Bicep.CommandLine.linux-x64"
TOOLS="$PWD/.tools"
TARGET="$TOOLS/bicep"

if [[ -x "$TARGET" ]] && "$TARGET" --version 2>/dev/null | grep -q "$VERSION"; then
  echo "bicep $VERSION already at $TARGET"
  exit 0
fi
command -v dotnet >/dev/null || { echo "install-bicep: dotnet is not on PATH (the .NET SDK fetches the Bicep package)" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# A throwaway project whose only job is to download the package into a private packages folder.
cat >"$WORK/fetch.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net$(dotnet --version | cut -d. -f1).0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$PACKAGE" Version="[$VERSION]" />
  </ItemGroup>
</Project>
XML
dotnet restore "$WORK/fetch.csproj" --packages "$WORK/packages" --nologo -v quiet

FOUND="$(find "$WORK/packages" -type f -name bicep | head -n 1)"
[[ -n "$FOUND" ]] || { echo "install-bicep: no bicep executable inside $PACKAGE $VERSION" >&2; exit 1; }
mkdir -p "$TOOLS"
install -m 0755 "$FOUND" "$TARGET"
"$TARGET" --version
