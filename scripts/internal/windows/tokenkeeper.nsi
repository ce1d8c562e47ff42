; Tokenkeeper's Windows installer, built on Linux by scripts/package-windows
; with makensis (Debian's nsis). Per user: it asks for no administrator
; rights and writes only under the user's profile and HKCU.
;
;   makensis -DVERSION=0.1.0 -DVERSION4=0.1.0.1 -DFILES=files.nsh \
;            -DICON=tokenkeeper.ico -DOUTFILE=setup.exe tokenkeeper.nsi
;
; files.nsh (written by the script) defines the macros PAYLOAD_INSTALL (File lines) and PAYLOAD_DELETE (Delete lines), so
; the uninstaller removes exactly the files the installer put there, never
; a directory the user pointed /D= at.
;
; Command line, for the pages and for silent runs (/S):
;   setup.exe      /PATH=1        add the install directory to the user's PATH
;                  /PATH=0        leave it off (removes it on a reinstall)
;                  /D=DIR         install into DIR (NSIS's own; must be last)
;   uninstall.exe  /REMOVEDATA=1  also delete the accounts and settings
;                                 (remove --all: every secret in Credential
;                                 Manager; then %APPDATA%\tokenkeeper)
; Without /PATH= a reinstall keeps the previous choice; a first install
; leaves PATH alone. A silent uninstall keeps the accounts unless
; /REMOVEDATA=1.

Unicode true
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!include MUI2.nsh
!include FileFunc.nsh
!include LogicLib.nsh
!include Sections.nsh
!include WinMessages.nsh
!include "${FILES}"

!define APPNAME "Tokenkeeper"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Tokenkeeper"
; The autostart entry the app writes (SPEC §8, Windows: the HKCU Run value).
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define RUNVALUE "Tokenkeeper"
!define WINDOWEXE "tokenkeeper-window.exe"

Name "${APPNAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\Tokenkeeper"
InstallDirRegKey HKCU "${UNINSTKEY}" "InstallLocation"
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${VERSION4}"
VIAddVersionKey "ProductName" "${APPNAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APPNAME} ${VERSION} setup"
VIAddVersionKey "LegalCopyright" "The Tokenkeeper authors, Apache-2.0"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\${WINDOWEXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Open Tokenkeeper"

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; EditUserPath's arguments and work, global because NSIS functions take none.
Var PathDir   ; the directory to add or remove
Var PathOp    ; "add" or "remove"
Var PathOld   ; HKCU\Environment Path as read
Var PathNew   ; as it will be written
Var PathItem  ; one ;-separated entry
Var PathFound ; 1 when PathDir is among the entries
Var PathI
Var PathN
Var PathC

; StopTokenkeeper ends this user's running Tokenkeeper programs: Windows
; refuses to overwrite or delete a running executable, and the agent runs
; all session long. The agent is asked first (tokenkeeper-agent --stop
; finishes the renewals in flight and waits until it has exited); then
; taskkill /F ends the windows and command lines by image name, and the
; agent too if it did not stop (a user without administrator rights can end
; only their own processes). Nothing is lost even then: the config and
; keyring writes are atomic.
!macro STOP_FUNCTION un
Function ${un}StopTokenkeeper
  StrCpy $0 1
  ${If} ${FileExists} "$INSTDIR\tokenkeeper-agent.exe"
    nsExec::Exec '"$INSTDIR\tokenkeeper-agent.exe" --stop'
    Pop $0
  ${EndIf}
  ${If} $0 == 0
    nsExec::Exec '"$SYSDIR\taskkill.exe" /F /IM tokenkeeper-window.exe /IM tokenkeeper.exe'
  ${Else}
    nsExec::Exec '"$SYSDIR\taskkill.exe" /F /IM tokenkeeper-agent.exe /IM tokenkeeper-window.exe /IM tokenkeeper.exe'
  ${EndIf}
  Pop $0
FunctionEnd
!macroend

; PathEntry compares one entry with PathDir (any case, with or without a
; trailing backslash) and keeps every other non-empty entry in PathNew.
!macro PATH_ENTRY
  ${If} $PathItem == $PathDir
  ${OrIf} $PathItem == "$PathDir\"
    StrCpy $PathFound 1
  ${ElseIf} $PathItem != ""
    ${If} $PathNew == ""
      StrCpy $PathNew $PathItem
    ${Else}
      StrCpy $PathNew "$PathNew;$PathItem"
    ${EndIf}
  ${EndIf}
!macroend

; EditUserPath adds PathDir to, or removes it from, the user's PATH
; (HKCU\Environment Path), then tells running programs (Explorer first)
; with WM_SETTINGCHANGE "Environment", as Windows' own editor does.
;
; NSIS strings hold NSIS_MAX_STRLEN characters (1024 in Debian's build).
; A longer Path reads as an error with an empty string, and a longer result
; would be cut: either way, writing it back would lose the user's PATH. So
; an unreadable Path, or a result that would not fit, is left as it is
; and the user is told to edit it by hand.
!macro PATH_FUNCTION un
Function ${un}EditUserPath
  ClearErrors
  ReadRegStr $PathOld HKCU "Environment" "Path"
  ${If} ${Errors}
    ; No Path value at all is fine (it starts empty); one that exists but
    ; did not read (too long, or not a string) is not ours to rewrite.
    StrCpy $PathI 0
    ${Do}
      EnumRegValue $PathItem HKCU "Environment" $PathI
      ${If} $PathItem == ""
        ${ExitDo}
      ${EndIf}
      ${If} $PathItem == "Path"
        MessageBox MB_OK|MB_ICONEXCLAMATION "Your PATH is too long for the installer to change safely. Please $PathOp $PathDir by hand (Settings, Edit environment variables for your account)." /SD IDOK
        DetailPrint "PATH left unchanged: too long to edit safely; $PathOp $PathDir by hand"
        Return
      ${EndIf}
      IntOp $PathI $PathI + 1
    ${Loop}
    StrCpy $PathOld ""
  ${EndIf}

  ; Split PathOld on ";" into PathNew, without PathDir.
  StrCpy $PathNew ""
  StrCpy $PathItem ""
  StrCpy $PathFound 0
  StrLen $PathN $PathOld
  StrCpy $PathI 0
  ${DoWhile} $PathI < $PathN
    StrCpy $PathC $PathOld 1 $PathI
    ${If} $PathC == ";"
      !insertmacro PATH_ENTRY
      StrCpy $PathItem ""
    ${Else}
      StrCpy $PathItem "$PathItem$PathC"
    ${EndIf}
    IntOp $PathI $PathI + 1
  ${Loop}
  !insertmacro PATH_ENTRY

  ${If} $PathOp == "add"
    ${If} $PathFound == 1
      DetailPrint "PATH already holds $PathDir"
      Return
    ${EndIf}
    ; Append to the value as it was, so nothing else in it changes.
    StrLen $PathN $PathOld
    StrLen $PathI $PathDir
    IntOp $PathN $PathN + $PathI
    IntOp $PathN $PathN + 1
    ${If} $PathN >= ${NSIS_MAX_STRLEN}
      MessageBox MB_OK|MB_ICONEXCLAMATION "Your PATH is too long for the installer to change safely. Please add $PathDir by hand (Settings, Edit environment variables for your account)." /SD IDOK
      DetailPrint "PATH left unchanged: too long to edit safely; add $PathDir by hand"
      Return
    ${EndIf}
    ${If} $PathOld == ""
      StrCpy $PathNew $PathDir
    ${Else}
      StrCpy $PathC $PathOld 1 -1
      ${If} $PathC == ";"
        StrCpy $PathNew "$PathOld$PathDir"
      ${Else}
        StrCpy $PathNew "$PathOld;$PathDir"
      ${EndIf}
    ${EndIf}
  ${ElseIf} $PathFound == 0
    Return
  ${EndIf}

  ${If} $PathNew == ""
    DeleteRegValue HKCU "Environment" "Path"
  ${Else}
    ; REG_EXPAND_SZ, as Windows keeps the user's Path: %VARIABLES% in it
    ; stay unexpanded.
    WriteRegExpandStr HKCU "Environment" "Path" $PathNew
  ${EndIf}
  DetailPrint "PATH: $PathOp $PathDir"
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
FunctionEnd
!macroend

!insertmacro STOP_FUNCTION ""
!insertmacro STOP_FUNCTION "un."
!insertmacro PATH_FUNCTION ""
!insertmacro PATH_FUNCTION "un."

Section "Tokenkeeper" SecMain
  SectionIn RO
  Call StopTokenkeeper
  SetOutPath "$INSTDIR"
  !insertmacro PAYLOAD_INSTALL
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\Tokenkeeper.lnk" "$INSTDIR\${WINDOWEXE}" "" "$INSTDIR\${WINDOWEXE}" 0 SW_SHOWNORMAL "" "Keep your OAuth and OIDC tokens alive"

  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\${WINDOWEXE},0"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "The Tokenkeeper authors"
  WriteRegStr HKCU "${UNINSTKEY}" "URLInfoAbout" "https://github.com/tokenkeeper/tokenkeeper"
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" $0
SectionEnd

Section /o "Add to PATH (use tokenkeeper from any terminal)" SecPath
  StrCpy $PathDir "$INSTDIR"
  StrCpy $PathOp "add"
  Call EditUserPath
  WriteRegDWORD HKCU "${UNINSTKEY}" "AddedToPath" 1
SectionEnd

; A reinstall without the PATH section takes the entry back out.
Section "-PathOff"
  ${IfNot} ${SectionIsSelected} ${SecPath}
    StrCpy $PathDir "$INSTDIR"
    StrCpy $PathOp "remove"
    Call EditUserPath
    WriteRegDWORD HKCU "${UNINSTKEY}" "AddedToPath" 0
  ${EndIf}
SectionEnd

Function .onInit
  ; The previous install's PATH choice, then /PATH= over it.
  ReadRegDWORD $0 HKCU "${UNINSTKEY}" "AddedToPath"
  ${If} $0 == 1
    !insertmacro SelectSection ${SecPath}
  ${EndIf}
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/PATH=" $R1
  ${IfNot} ${Errors}
    ${If} $R1 == "1"
      !insertmacro SelectSection ${SecPath}
    ${Else}
      !insertmacro UnselectSection ${SecPath}
    ${EndIf}
  ${EndIf}
FunctionEnd

; Before the main section, which deletes tokenkeeper.exe: the secrets are
; in Windows Credential Manager, not under %APPDATA%, so deleting the folder
; alone would leave them there. remove --all signs out of every account
; (revoking where the provider offers it) and deletes every secret; with the
; agent stopped first, it works on the files directly.
Section /o "un.Also remove my accounts and settings" UnSecData
  Call un.StopTokenkeeper
  nsExec::Exec '"$INSTDIR\tokenkeeper.exe" remove --all --yes'
  Pop $0
  ; The accounts, settings and cache (storage: os.UserConfigDir()\tokenkeeper).
  RMDir /r "$APPDATA\tokenkeeper"
SectionEnd

Section "un.Tokenkeeper" UnSecMain
  SectionIn RO
  Call un.StopTokenkeeper
  !insertmacro PAYLOAD_DELETE
  Delete "$INSTDIR\uninstall.exe"
  ; Only when empty: files the user put there stay.
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Tokenkeeper.lnk"
  StrCpy $PathDir "$INSTDIR"
  StrCpy $PathOp "remove"
  Call un.EditUserPath
  DeleteRegValue HKCU "${RUNKEY}" "${RUNVALUE}"
  DeleteRegKey HKCU "${UNINSTKEY}"
SectionEnd

Function un.onInit
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/REMOVEDATA=" $R1
  ${IfNot} ${Errors}
  ${AndIf} $R1 == "1"
    !insertmacro SelectSection ${UnSecData}
  ${EndIf}
FunctionEnd
