//! The embedded template files and the handlebars registry that renders the
//! `.hbs` ones. Files without `.hbs` are copied verbatim: they are Helm
//! templates, and Helm's `{{ }}` must reach Helm untouched.

use anyhow::Context;
use handlebars::{
    Context as HbContext, Handlebars, Helper, HelperResult, Output, RenderContext,
    RenderErrorReason,
};

include!(concat!(env!("OUT_DIR"), "/embedded_templates.rs"));

pub const HBS_SUFFIX: &str = ".hbs";

/// A registry with strict mode (a missing value is an error, not ""), no
/// HTML escaping, every `.hbs` template of `set` registered by path.
pub fn registry(
    set: &'static [(&'static str, &'static str)],
) -> anyhow::Result<Handlebars<'static>> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    hb.register_helper("json", Box::new(json_helper));
    for (path, text) in set.iter().filter(|(p, _)| p.ends_with(HBS_SUFFIX)) {
        hb.register_template_string(path, *text)
            .with_context(|| format!("embedded template {path} does not parse"))?;
    }
    Ok(hb)
}

/// `{{json value}}`: the value as JSON, which is also a valid YAML scalar or
/// flow collection, so strings with quotes or colons stay intact.
fn json_helper(
    h: &Helper,
    _: &Handlebars,
    _: &HbContext,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("json", 0))?
        .value();
    out.write(&serde_json::to_string(value).map_err(RenderErrorReason::SerdeError)?)?;
    Ok(())
}

/// Template `name` rendered with `context` (made once for several templates:
/// handlebars' `render` converts its data to a new context each time).
pub fn render(hb: &Handlebars, name: &str, context: &HbContext) -> anyhow::Result<String> {
    hb.render_with_context(name, context)
        .with_context(|| format!("cannot render template {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_helper_quotes_yaml_hazards() {
        let mut hb = registry(&[]).unwrap();
        hb.register_template_string("t", "rule: {{json rule}}")
            .unwrap();
        let text = hb
            .render("t", &serde_json::json!({"rule": "OR('A.member')"}))
            .unwrap();
        assert_eq!(text, "rule: \"OR('A.member')\"");
    }

    #[test]
    fn strict_mode_rejects_missing_values() {
        let mut hb = registry(&[]).unwrap();
        hb.register_template_string("t", "{{missing}}").unwrap();
        assert!(hb.render("t", &serde_json::json!({})).is_err());
    }

    #[test]
    fn helm_templates_are_embedded_verbatim() {
        // A Helm template must keep its `{{ }}`: nothing outside `.hbs` is rendered.
        let helm = CHART_TEMPLATES
            .iter()
            .filter(|(p, _)| !p.ends_with(HBS_SUFFIX));
        let with_helm_syntax = helm.filter(|(_, text)| text.contains("{{")).count();
        assert!(
            with_helm_syntax > 0,
            "the chart has Helm templates with {{{{ }}}}"
        );
    }
}
