/*
 * bcryptprimitives.dll for Wine 8, which lacks it: a stand-in exporting
 * ProcessPrng, built by scripts/wine-test into its private WINEPREFIX.
 *
 * Why: Go >= 1.22 reads its randomness from ProcessPrng in
 * bcryptprimitives.dll (Windows 10 and later), and a Go program whose DLL
 * lacks it dies at start ("bcryptprimitives.dll not found"). Wine 9 has
 * the export; Debian 12's Wine 8 does not. RtlGenRandom (advapi32's
 * SystemFunction036, what Go used before 1.22) is there and draws from
 * the same system generator, so ProcessPrng is that, in ULONG-sized
 * pieces. Only for the tests under Wine: real Windows has its own.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng fills data with size random bytes; it always returns TRUE
 * (Microsoft: "always returns TRUE"); if the generator failed there is
 * nothing safe to hand back, so end the process as Windows would. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			ExitProcess(0xC0000001);
		data += n;
		size -= n;
	}
	return TRUE;
}
