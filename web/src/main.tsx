import { render } from "preact";
import { QueryClientProvider } from "@tanstack/preact-query";
import "uplot/dist/uPlot.min.css";
import { App } from "./app";
import { queryClient } from "./query_client";
import "./styles.css";

render(
  <QueryClientProvider client={queryClient}>
    <App />
  </QueryClientProvider>,
  document.getElementById("app") as HTMLElement,
);
