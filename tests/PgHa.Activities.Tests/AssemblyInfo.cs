// The lab is Linux-only (namespaces); so is this test project.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
