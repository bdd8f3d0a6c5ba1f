// The JSON body of every refused HTTP request, and the codes it may carry. Shared by the server, which
// answers with them, and the page, which puts them into words.

export type HttpErrorCode =
  | 'origin_not_allowed'
  | 'host_not_allowed'
  | 'unauthorized'
  | 'target_not_found'
  | 'session_not_found'
  | 'resume_denied'
  | 'target_forbidden'
  | 'watch_denied'
  | 'too_many_watchers'
  | 'recording_unavailable'
  | 'recording_not_found'
  | 'bad_request'
  | 'not_found'
  | 'upgrade_required'
  | 'too_many_sessions'
  | 'shutting_down';

/** The JSON body of every refused HTTP request (before or instead of a WebSocket upgrade). */
export interface HttpErrorBody {
  readonly error: { readonly code: HttpErrorCode; readonly message: string };
}
