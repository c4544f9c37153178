using System.Runtime.Versioning;

// The lab is built from Linux namespaces, veth pairs and a bridge; it cannot exist elsewhere.
[assembly: SupportedOSPlatform("linux")]
