import type { PageProps } from "../app";

export function LoginPage(_props: PageProps) {
  return <h1>Log in</h1>;
}

export function SignupPage(_props: PageProps) {
  return <h1>Sign up</h1>;
}
