; The mt5-executor installer (NSIS 3, built by tools/release/dist-win.mjs with makensis):
;   makensis -DVERSION=x.y.z -DSRC=<program folder> -DOUT=<setup.exe> tools/release/installer.nsi
; Per user, no administrator rights: %LOCALAPPDATA%\Programs\mt5-executor. Start Menu shortcuts; optionally the
; host at logon (a minimised window from the Startup folder). The uninstaller keeps the data folder
; (%APPDATA%\mt5-executor: state, backups, credentials) unless the trader says otherwise.
; Silent: setup.exe /S [/AUTOSTART] [/D=C:\folder]   uninstall.exe /S [/PURGE]
Target amd64-unicode
; the program is x64 only; a 64-bit installer also runs where only 64-bit Wine is installed
!include "MUI2.nsh"
!include "FileFunc.nsh"

!define PRODUCT "mt5-executor"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCT}"
Name "${PRODUCT} ${VERSION}"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
InstallDirRegKey HKCU "${UNINSTKEY}" "InstallLocation"
RequestExecutionLevel user
SetCompressor /SOLID lzma
BrandingText "${PRODUCT} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${PRODUCT}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${PRODUCT} installer"
VIAddVersionKey "LegalCopyright" "${PRODUCT}"

!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN "$SYSDIR\cmd.exe"
!define MUI_FINISHPAGE_RUN_PARAMETERS "/k mt5-executor.exe install-ea"
!define MUI_FINISHPAGE_RUN_TEXT "Put the EA into MetaTrader 5 now (mt5-executor install-ea)"
!define MUI_FINISHPAGE_RUN_NOTCHECKED
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; A running mt5-executor.exe cannot be replaced or removed: ask the trader to close it (the host stops cleanly
; when its window closes). A running program's file cannot be opened for writing; silent runs give up.
!macro StopIfRunning UN
Function ${UN}StopIfRunning
  IfFileExists "$INSTDIR\mt5-executor.exe" 0 done
  retry:
    ClearErrors
    FileOpen $0 "$INSTDIR\mt5-executor.exe" a
    IfErrors 0 free
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "mt5-executor is running. Close its window (the host stops cleanly), then press Retry." /SD IDCANCEL IDRETRY retry
    Abort "mt5-executor is running: close it and run this again"
  free:
    FileClose $0
  done:
FunctionEnd
!macroend
!insertmacro StopIfRunning ""
!insertmacro StopIfRunning "un."

Section "mt5-executor" SecMain
  SectionIn RO
  Call StopIfRunning
  SetOutPath "$INSTDIR"
  File /r "${SRC}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  ; shortcuts start in the program folder (SetOutPath above is their working folder)
  CreateDirectory "$SMPROGRAMS\${PRODUCT}"
  CreateShortCut "$SMPROGRAMS\${PRODUCT}\Start mt5-executor.lnk" "$INSTDIR\mt5-executor.exe" "start" "$INSTDIR\mt5-executor.exe" 0
  CreateShortCut "$SMPROGRAMS\${PRODUCT}\Open the dashboard.lnk" "$INSTDIR\mt5-executor.exe" "dashboard" "$INSTDIR\mt5-executor.exe" 0
  CreateShortCut "$SMPROGRAMS\${PRODUCT}\Put the EA into MetaTrader 5.lnk" "$SYSDIR\cmd.exe" "/k mt5-executor.exe install-ea"
  CreateShortCut "$SMPROGRAMS\${PRODUCT}\mt5-executor command prompt.lnk" "$SYSDIR\cmd.exe" "/k mt5-executor.exe help"
  CreateShortCut "$SMPROGRAMS\${PRODUCT}\Uninstall mt5-executor.lnk" "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\mt5-executor.exe"
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" $0
SectionEnd

Section /o "Start the host when I log on" SecAutostart
  SetOutPath "$INSTDIR"
  CreateShortCut "$SMSTARTUP\mt5-executor.lnk" "$INSTDIR\mt5-executor.exe" "start" "$INSTDIR\mt5-executor.exe" 0 SW_SHOWMINIMIZED
SectionEnd

Function .onInit
  ; /AUTOSTART on the command line (silent installs) selects the logon option
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/AUTOSTART" $R1
  IfErrors +2 0
  SectionSetFlags ${SecAutostart} ${SF_SELECTED}
FunctionEnd

Section "Uninstall"
  Call un.StopIfRunning
  Delete "$SMSTARTUP\mt5-executor.lnk"
  RMDir /r "$SMPROGRAMS\${PRODUCT}"
  ; only what the installer put there: a folder chosen by the trader may hold other files
  Delete "$INSTDIR\mt5-executor.exe"
  Delete "$INSTDIR\keyring.win32-x64-msvc.node"
  Delete "$INSTDIR\README.txt"
  RMDir /r "$INSTDIR\data"
  RMDir /r "$INSTDIR\examples"
  RMDir /r "$INSTDIR\mql5"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTKEY}"
  ; the data folder stays unless asked (/PURGE when silent)
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/PURGE" $R1
  IfErrors 0 purge
  MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "Also delete your mt5-executor data in $APPDATA\${PRODUCT} (strategies' state, backups, settings, the encrypted credentials)?$\r$\n$\r$\nChoose No to keep it for a later install." /SD IDNO IDYES purge
  Goto done
  purge:
    RMDir /r "$APPDATA\${PRODUCT}"
  done:
SectionEnd
