using System.Runtime.Versioning;

[assembly: SupportedOSPlatform("linux")]
// One lab per machine: the shared lab collection and the up/down lifecycle test must never overlap.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
