def render_data_doc() -> str:
    return ""
