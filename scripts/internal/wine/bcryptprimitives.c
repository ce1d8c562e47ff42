// bcryptprimitives.dll for Wine 8, which lacks it: Go 1.22 and later fill
// their random numbers with ProcessPrng from this DLL at start-up, so every
// Go program dies under Debian 12's Wine ("bcryptprimitives.dll not found")
// without it. This one exports ProcessPrng on top of RtlGenRandom (advapi32's
// SystemFunction036), which Wine has. Test scripts build it with mingw-w64
// into their private WINEPREFIX's system32; it is never shipped.
//
//   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
	// RtlGenRandom takes a ULONG: feed it in pieces that fit.
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n)) {
			return FALSE;
		}
		data += n;
		size -= n;
	}
	return TRUE;
}
