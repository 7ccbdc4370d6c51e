namespace QcPipeline.Fuzz;

/// <summary>A target's own verdict that an input broke a promise (a problem not located, an accepted input that
/// cannot run, a read out of range): reported like any exception that escapes.</summary>
public sealed class FuzzFinding(string message) : Exception(message);
