import { Component, type ErrorInfo, type ReactNode } from "react";
import * as s from "./styles";

interface Props {
  children: ReactNode;
}

interface State {
  error: Error | null;
}

/** Keeps a rendering bug in the plugin from blanking the whole Airflow UI. */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error("Flowlytics UI crashed:", error, info.componentStack);
  }

  override render(): ReactNode {
    if (this.state.error) {
      return (
        <div data-testid="flowlytics-error" role="alert" style={{ ...s.page }}>
          <div style={s.errorBox}>
            Flowlytics failed to render: {String(this.state.error.message || this.state.error)}
          </div>
        </div>
      );
    }
    return this.props.children;
  }
}
