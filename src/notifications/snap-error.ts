/**
 * An answer to DOKU on the routes DOKU calls on us (docs/doku-integration.md#notifications): SNAP's
 * `{responseCode, responseMessage}` body with the HTTP status the code starts with. Not an AppError:
 * these routes are DOKU's contract, not our API's, so they never carry our `{"error":…}` body.
 */
export class SnapError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly responseCode: string,
    readonly responseMessage: string,
  ) {
    super(`${responseCode} ${responseMessage}`);
    this.name = 'SnapError';
  }
}
