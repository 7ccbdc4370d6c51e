using System.Runtime.InteropServices;

namespace QcPipeline.Ssh.Interop;

/// <summary>A libssh2 session. Closing it says goodbye to the server (if the socket still works) and frees it.</summary>
internal sealed class SessionHandle : SafeHandle
{
    public SessionHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public static SessionHandle Create()
    {
        LibSsh2.EnsureInitialised();
        var handle = new SessionHandle();
        handle.SetHandle(LibSsh2.libssh2_session_init_ex(IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero));
        if (handle.IsInvalid) throw new SshException(SshErrorKind.Other, "libssh2 could not allocate a session", transient: false);
        return handle;
    }

    /// <summary>Set once the socket is known dead: then freeing must not try to talk to the server.</summary>
    public bool SkipGoodbye { get; set; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        if (!SkipGoodbye) LibSsh2.libssh2_session_disconnect_ex(handle, LibSsh2.DisconnectByApplication, "closing", "");
        return LibSsh2.libssh2_session_free(handle) == 0;
    }
}

/// <summary>An SFTP channel on a session; keeps the session alive while it exists.</summary>
internal sealed class SftpSessionHandle : SafeHandle
{
    private SessionHandle? _session;

    public SftpSessionHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public static SftpSessionHandle Open(SessionHandle session, IntPtr sftp)
    {
        var handle = new SftpSessionHandle();
        var added = false;
        session.DangerousAddRef(ref added);
        handle._session = session;
        handle.SetHandle(sftp);
        return handle;
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        // Frees the channel even when the connection is gone (the call then fails fast on the dead socket).
        LibSsh2.libssh2_sftp_shutdown(handle);
        _session!.DangerousRelease();
        return true;
    }
}

/// <summary>An open remote file or directory; keeps its SFTP channel alive while it exists.</summary>
internal sealed class SftpFileHandle : SafeHandle
{
    private SftpSessionHandle? _sftp;

    public SftpFileHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public static SftpFileHandle Wrap(SftpSessionHandle sftp, IntPtr file)
    {
        var handle = new SftpFileHandle();
        var added = false;
        sftp.DangerousAddRef(ref added);
        handle._sftp = sftp;
        handle.SetHandle(file);
        return handle;
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Sends the close request without waiting for its answer (the session must be non-blocking for this
    /// call). True when libssh2 finished at once; false when the answer is still due: call
    /// <see cref="FinishClose"/> later (blocking), by when it has usually arrived.</summary>
    public bool StartClose()
    {
        var rc = LibSsh2.libssh2_sftp_close_handle(handle);
        if (rc == LibSsh2.ErrorEagain) return false;
        Forget();
        return true;
    }

    /// <summary>Completes a close begun by <see cref="StartClose"/>; libssh2 frees the handle either way.</summary>
    public void FinishClose()
    {
        LibSsh2.libssh2_sftp_close_handle(handle);
        Forget();
    }

    // libssh2 freed the handle: the SafeHandle must not close it again, but still lets go of its channel.
    private void Forget()
    {
        SetHandleAsInvalid();
        _sftp!.DangerousRelease();
        _released = true;
    }

    private bool _released;

    protected override bool ReleaseHandle()
    {
        LibSsh2.libssh2_sftp_close_handle(handle); // a close that fails on a dead connection still frees the handle
        if (!_released) _sftp!.DangerousRelease();
        return true;
    }
}
