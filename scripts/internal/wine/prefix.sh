# Sourced by scripts/wine-test and scripts/internal/windows/package-test,
# from the repository's root: one way to find Wine and make a prefix.
#
# wine_find sets wine and wineserver (Debian's wine64 on PATH, else its
# libexec place). wine_prefix DIR makes a private 64-bit prefix in
# DIR/prefix (exported as WINEPREFIX), boots it and puts the ProcessPrng
# stand-in into its system32: Go >= 1.22 programs call ProcessPrng at start
# and Wine 8 lacks it (processprng.c says more). The caller's EXIT trap
# stops "$wineserver" and removes DIR.

wine_find() {
  wine=/usr/lib/wine/wine64
  if command -v wine64 >/dev/null 2>&1; then wine=$(command -v wine64); fi
  wineserver=$(dirname "$wine")/wineserver
}

wine_prefix() {
  export WINEPREFIX="$1/prefix" WINEARCH=win64 WINEDEBUG=-all
  # No Mono or Gecko install prompts: nothing here needs .NET or a browser
  # engine, and the prompts would wait for a click.
  export WINEDLLOVERRIDES="mscoree,mshtml="
  "$wine" wineboot -i >/dev/null 2>&1
  "$wineserver" -w
  x86_64-w64-mingw32-gcc -shared -O2 -s -Wl,--kill-at \
    -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
    scripts/internal/wine/processprng.c -ladvapi32
}
