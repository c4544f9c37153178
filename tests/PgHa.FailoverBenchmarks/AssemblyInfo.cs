// The lab is Linux-only (namespaces); so is this benchmark.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
