// The API's types, generated from its OpenAPI document into api_schema.d.ts (`make web-types`;
// `make test` fails when that file no longer matches the API). The app's own types in types.ts are
// checked here against them at compile time: an answer of the API must fit the type the app reads
// it as, so a change of the API that the app does not follow fails `npm run build`.
import type { components } from "./api_schema";
import type * as App from "./types";

export type Schemas = components["schemas"];

/** Compiles only when `Answer` can be used where `Read` is expected. */
type Fits<Answer extends Read, Read> = Answer extends Read ? true : never;

export type AnswersFitTheAppTypes = [
  Fits<Schemas["UserOut"], App.User>,
  Fits<Schemas["WorkspaceOut"], App.Workspace>,
  Fits<Schemas["MemberOut"], App.Member>,
  Fits<Schemas["InvitationOut"], App.Invitation>,
  Fits<Schemas["ProjectOut"], App.Project>,
  Fits<Schemas["ApiKeyOut"], App.ApiKey>,
  Fits<Schemas["ApiKeyCreated"], App.ApiKeyCreated>,
  Fits<Schemas["MediaNameSummary"], App.MediaNameSummary>,
  // Not yet: the document states metric values as any text or number (the app: a number or
  // "NaN"/"Infinity"/"-Infinity"), a run's summary as any object, a bucket's logging time as
  // nullable and a media item's histogram as optional; RunOut, MetricSummaryView, SeriesBucket,
  // DownsampledSeries, BucketColumns, ComparedSeries and MediaView join once they agree.
];
